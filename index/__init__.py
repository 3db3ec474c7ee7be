"""docqa's index library: documents -> paragraphs -> analysed terms -> BM25 index on disk.

Never imports Flask; `service` builds on it.
"""

from index.analysis import analyze, analyze_spans
from index.documents import Document, Paragraph, load_corpus, parse_document, split_paragraphs
from index.errors import DocqaError, EmptyQueryError, IndexCorruptError
from index.lexical.engines import ENGINES
from index.lexical.bm25 import Bm25Params
from index.hits import Hit
from index.lexical.search import SearchIndex
from index.store.build import BuildReport, build_index, open_index
from index.store.generations import load_index

__all__ = [
    "Bm25Params", "BuildReport", "DocqaError", "Document", "ENGINES", "EmptyQueryError", "Hit",
    "IndexCorruptError", "Paragraph", "SearchIndex", "analyze", "analyze_spans", "build_index",
    "load_corpus", "load_index", "open_index", "parse_document", "split_paragraphs",
]
