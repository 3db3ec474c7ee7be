"""The lexical engines: BM25 over paragraphs (embedded: bm25s's matrix, or rank-bm25 as the reference), the
phrase and title fields, the loaded index, and the live view of segments."""
