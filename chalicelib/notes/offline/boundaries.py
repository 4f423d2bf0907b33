"""How likely a sentence ends between two words of unpunctuated English speech, from
the words around the gap alone: a logistic model over hashed word features (the word
before and after, the pairs around them), trained by scripts/train_boundaries.py on
the team's spoken-style lecture texts (bench/corpus/filing*.json, offtopic*.json,
punctuated, lower-cased and stripped as automatic captions are), never on the
benchmark's lectures. 2^16 weights, int8: 64 KiB, read once per container, no numpy.

Used by the splitter (sentence_split) beside its pauses and cue words: the words
alone say "... to the nucleus | so the cell ..." is a boundary and "... the rate of |
reaction ..." is not. Weak alone (on the corpus's held-out fifth, F1 0.30 at best: 0.33
precision, 0.28 recall); it adds to the pauses and markers (README, "Sentences from
automatic captions").
"""
from __future__ import annotations

import json
import math
import re
import zlib
from array import array
from collections.abc import Sequence
from pathlib import Path

from chalicelib.core.cache import KeyedCache

MODEL_FILE = Path(__file__).resolve().parent / "model" / "boundaries-en.bin"
BUCKETS = 1 << 16
EDGE = "<s>"


class Model:
    """The weights (int8, scaled) and the bias, as the training script wrote them."""

    def __init__(self, path: Path = MODEL_FILE) -> None:
        raw = path.read_bytes()
        header, _, body = raw.partition(b"\n")
        meta = json.loads(header)
        if meta.get("buckets") != BUCKETS or len(body) != BUCKETS:
            raise ValueError(f"{path.name}: not a model of {BUCKETS} buckets")
        self.weights = array("b", body)
        self.scale = float(meta["scale"])
        self.bias = float(meta["bias"])
        self.prior = float(meta["prior"])

    def log_odds(self, words: Sequence[str], position: int) -> float:
        """The log-odds that a sentence ends after words[position], beyond the prior
        (0: the words say nothing either way)."""
        total = self.bias + self.scale * sum(self.weights[bucket]
                                             for bucket in features(words, position))
        return total - math.log(self.prior / (1 - self.prior))


def word_of(token: str) -> str:
    """A caption token as the model knows words: lower case, letters, digits and
    apostrophes only (automatic captions' own spelling)."""
    return re.sub(r"[^\w']", "", token.casefold().replace("’", "'")).strip("'")


def features(words: Sequence[str], position: int) -> list[int]:
    """The hashed features of the gap after words[position] (stable across processes:
    CRC-32, not Python's salted hash)."""
    def at(index: int) -> str:
        return words[index] if 0 <= index < len(words) else EDGE

    before, after = at(position), at(position + 1)
    names = (f"p={before}", f"n={after}", f"pp={at(position - 1)}_{before}",
             f"nn={after}_{at(position + 2)}", f"pn={before}_{after}",
             f"n2={at(position + 2)}", f"p2={at(position - 1)}")
    return [zlib.crc32(name.encode("utf-8")) % BUCKETS for name in names]


_models: KeyedCache[Model] = KeyedCache()


def model() -> Model:
    return _models.get(MODEL_FILE, Model)
