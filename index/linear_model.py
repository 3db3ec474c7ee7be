"""Fitted linear models as versioned JSON files: named features and weights, validated when loaded.

A model file (as Solr's learning-to-rank stores one) holds its format version, the model's name and
version, its features and their weights by name, and how it was made (training data and its sha256,
the subset, the analysis settings, the fitter's settings, its figures on held-out data). Code fills
features by name; a file whose features differ from the code's is refused with a clear error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from index.errors import ModelFileError
from index.files import atomic_write

MODEL_FORMAT = 1


@dataclass(frozen=True)
class LinearModel:
    name: str
    version: int
    features: tuple[str, ...]
    weights: np.ndarray = field(compare=False)  # in `features` order
    made_by: dict = field(default_factory=dict, compare=False)

    def weight(self, feature: str) -> float:
        return float(self.weights[self.features.index(feature)])


def model_path(package: str, filename: str) -> Path:
    """Where a model file ships inside a package (read at start-up, never at import)."""
    return Path(str(files(package) / "models" / filename))


def load_model(path: Path, features: Sequence[str], non_negative: bool = False) -> LinearModel:
    """Read and validate a model file against the code's feature names; ModelFileError says what is wrong."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelFileError(f"model file {path} is missing; reinstall docqa or refit it with docqa eval fit-*") from None
    except (OSError, ValueError) as exc:
        raise ModelFileError(f"model file {path} is unreadable: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise ModelFileError(f"model file {path} is not a docqa linear model of format {MODEL_FORMAT}")
    weights = document.get("weights")
    if not isinstance(weights, dict) or list(weights) != list(features):
        raise ModelFileError(f"model file {path} has features {list(weights or {})}, the code computes "
                             f"{list(features)}; refit it with docqa eval fit-*")
    values = list(weights.values())
    if not all(isinstance(w, (int, float)) and not isinstance(w, bool) and math.isfinite(w) for w in values):
        raise ModelFileError(f"model file {path}: every weight must be a finite number")
    if non_negative and min(values) < 0:
        raise ModelFileError(f"model file {path}: weights must not be negative, "
                             f"{min(weights, key=lambda name: weights[name])} is {min(values)}")
    return LinearModel(str(document.get("name", "")), int(document.get("version", 0)), tuple(features),
                       np.array(values, dtype=float), dict(document.get("made_by", {})))


def write_model(path: Path, name: str, version: int, weights: Mapping[str, float], made_by: dict) -> None:
    """Write a model file atomically (what docqa eval fit-* produces)."""
    document = {"format": MODEL_FORMAT, "name": name, "version": version,
                "weights": {k: float(v) for k, v in weights.items()}, "made_by": made_by}
    atomic_write(Path(path), (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8"))
