"""docqa's index library: documents -> paragraphs -> analysed terms -> BM25 index on disk.

Never imports Flask; `service` builds on it.
"""

from .analysis import analyze, analyze_spans
from .documents import Document, Paragraph, load_corpus, parse_document, split_paragraphs
from .engine import ENGINES, Bm25Params, Hit
from .errors import DocqaError, EmptyQueryError, IndexCorruptError
from .search import SearchIndex
from .store import BuildReport, build_index, load_index, open_index

__all__ = [
    "Bm25Params", "BuildReport", "DocqaError", "Document", "ENGINES", "EmptyQueryError", "Hit",
    "IndexCorruptError", "Paragraph", "SearchIndex", "analyze", "analyze_spans", "build_index",
    "load_corpus", "load_index", "open_index", "parse_document", "split_paragraphs",
]
