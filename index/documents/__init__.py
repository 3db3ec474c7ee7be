"""Documents and their formats: read a corpus folder, text out of PDF/Word/HTML, paragraphs with exact offsets."""

from .corpus import (DOCUMENT_ID, DOCUMENT_ID_PATTERN, SUFFIXES, Document, Paragraph, corpus_files, decode_text,
                     document_id_for, humanize, load_corpus, pages_of, parse_document, read_corpus_file, read_document,
                     split_paragraphs)

__all__ = ["DOCUMENT_ID", "DOCUMENT_ID_PATTERN", "SUFFIXES", "Document", "Paragraph", "corpus_files", "decode_text",
           "document_id_for", "humanize", "load_corpus", "pages_of", "parse_document", "read_corpus_file",
           "read_document", "split_paragraphs"]
