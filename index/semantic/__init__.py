"""The semantic signal: the sentence-embedding model (model) and paragraph vectors on disk (vectors)."""

from .model import (BATCH, DIMENSIONS, MODEL_NAME, PASSAGE_TOKENS, QUESTION_TOKENS, Embedder, available, passage_text,
                    query_embedder)

__all__ = ["BATCH", "DIMENSIONS", "MODEL_NAME", "PASSAGE_TOKENS", "QUESTION_TOKENS", "Embedder", "available",
           "passage_text", "query_embedder"]
