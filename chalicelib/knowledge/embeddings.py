"""Sentence embeddings without torch: all-MiniLM-L6-v2, exported by `make model`.

scripts/build_model.py loads the reference model through sentence-transformers
and writes its weights, int8-quantised per output row, into
chalicelib/knowledge/model/minilm-l6-int8.safetensors, with the model's own WordPiece
vocabulary. This module runs the same network (BERT, 6 layers, 384 dimensions,
mean pooling, L2 normalisation, 256 tokens at most) with numpy alone, and
tokenises with a pure-Python copy of the BERT tokenizer
(chalicelib.knowledge.tokenizer), so the Lambda package needs neither torch,
onnxruntime nor tokenizers.

numpy and the weights load on first use, once per container (`model()`);
importing this module loads neither.

Stored embeddings are compact: `pack()` gives one version byte and 384 int8
values scaled to the vector's largest component (385 bytes, a DynamoDB Binary),
and cosine similarity does not care about the scale.
"""
from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from chalicelib.core.cache import KeyedCache
from chalicelib.knowledge.tokenizer import Tokenizer

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
WEIGHTS_FILE = "minilm-l6-int8.safetensors"
VOCAB_FILE = "vocab.txt"
META_FILE = "model.json"
# The first byte of every packed embedding: which model (and format) wrote it.
# Vectors of another version are never compared with this model's.
PACK_VERSION = 1

_models: KeyedCache[Model] = KeyedCache()


# --- the network -----------------------------------------------------------------

def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Tensors of a .safetensors file (8-byte header length, JSON header, raw data)."""
    import numpy as np

    dtypes = {"F32": np.float32, "F16": np.float16, "I8": np.int8, "I32": np.int32,
              "U8": np.uint8}
    data = path.read_bytes()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length])
    base = 8 + header_length
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        tensors[name] = np.frombuffer(data, dtype=dtypes[info["dtype"]], count=(end - start)
                                      // np.dtype(dtypes[info["dtype"]]).itemsize,
                                      offset=base + start).reshape(info["shape"])
    return tensors


def _gelu(x: np.ndarray) -> np.ndarray:
    """The model's exact GELU, x/2 (1 + erf(x/sqrt 2)), in place. numpy has no erf:
    Abramowitz and Stegun 7.1.26 gives it to 1.5e-7."""
    import numpy as np

    z = np.abs(x) * (1.0 / math.sqrt(2.0))
    t = 1.0 + 0.3275911 * z
    np.reciprocal(t, out=t)
    poly = t * 1.061405429
    poly += -1.453152027
    poly *= t
    poly += 1.421413741
    poly *= t
    poly += -0.284496736
    poly *= t
    poly += 0.254829592
    poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z  # E = 1 - erf(|x|/sqrt 2)
    # x/2 (1 + erf(x/sqrt 2)) = max(x, 0) - |x| E / 2, for either sign of x
    poly *= np.abs(x)
    poly *= 0.5
    return cast("np.ndarray", np.subtract(np.maximum(x, 0.0, out=z), poly, out=z))


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray,
                eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return cast("np.ndarray", centred / (variance + eps) ** 0.5 * weight + bias)


class Model:
    """The exported network; `embed` gives L2-normalised float32 vectors."""

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        # One BLAS thread: the matrices are small, and threads only add overhead
        # (a Lambda under 1,769 MB has one vCPU anyway). Only effective when this
        # is the first import of numpy, as it is in the Lambda.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        import numpy as np

        self.meta = json.loads((directory / META_FILE).read_text())
        config = self.meta["config"]
        self.dimensions = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config["layer_norm_eps"])
        self.max_length = int(config["max_seq_length"])
        vocab = (directory / VOCAB_FILE).read_text(encoding="utf-8").splitlines()
        self.tokenizer = Tokenizer(vocab)
        raw = read_safetensors(directory / WEIGHTS_FILE)

        def f32(name: str) -> np.ndarray:
            return raw[name].astype(np.float32)

        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            # int8 rows times their scales, transposed once so x @ W needs no copy.
            weight = raw[f"{name}.weight.q"].astype(np.float32) * \
                raw[f"{name}.weight.scale"].astype(np.float32)[:, None]
            return np.ascontiguousarray(weight.T), f32(f"{name}.bias")

        # The word table stays int8: only the rows a text uses are scaled.
        self.words_q = raw["embeddings.word_embeddings.weight.q"]
        self.words_scale = f32("embeddings.word_embeddings.weight.scale")
        self.positions = f32("embeddings.position_embeddings.weight")
        self.token_type = f32("embeddings.token_type_embeddings.weight")[0]
        self.embedding_norm = (f32("embeddings.LayerNorm.weight"),
                               f32("embeddings.LayerNorm.bias"))
        self.blocks = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            q, k, v = (linear(p + f"attention.self.{n}") for n in ("query", "key", "value"))
            self.blocks.append({
                "qkv": (np.concatenate([q[0], k[0], v[0]], axis=1),
                        np.concatenate([q[1], k[1], v[1]])),
                "attention_out": linear(p + "attention.output.dense"),
                "attention_norm": (f32(p + "attention.output.LayerNorm.weight"),
                                   f32(p + "attention.output.LayerNorm.bias")),
                "intermediate": linear(p + "intermediate.dense"),
                "output": linear(p + "output.dense"),
                "output_norm": (f32(p + "output.LayerNorm.weight"),
                                f32(p + "output.LayerNorm.bias")),
            })

    def token_ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, self.max_length)

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        """Sequences of one length through the network: (b, d) pooled, normalised."""
        import numpy as np

        b, n = len(batch), len(batch[0])
        d, heads = self.dimensions, self.heads
        head_dim = d // heads
        index = np.asarray(batch).reshape(-1)
        x = self.words_q[index].astype(np.float32) * self.words_scale[index][:, None]
        x = (x.reshape(b, n, d) + self.positions[:n] + self.token_type).reshape(b * n, d)
        x = _layer_norm(x, *self.embedding_norm, self.eps)
        scale = 1.0 / math.sqrt(head_dim)
        for block in self.blocks:
            weight, bias = block["qkv"]
            qkv = (x @ weight + bias).reshape(b, n, 3, heads, head_dim).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]  # (b, heads, n, head_dim)
            scores = (q @ k.transpose(0, 1, 3, 2)) * scale
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            context = (probs @ v).transpose(0, 2, 1, 3).reshape(b * n, d)
            weight, bias = block["attention_out"]
            x = _layer_norm(context @ weight + bias + x, *block["attention_norm"], self.eps)
            weight, bias = block["intermediate"]
            hidden = _gelu(x @ weight + bias)
            weight, bias = block["output"]
            x = _layer_norm(hidden @ weight + bias + x, *block["output_norm"], self.eps)
        pooled = x.reshape(b, n, d).mean(axis=1)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.maximum(norms, 1e-12)

    def embed(self, texts: Sequence[str], batch_tokens: int = 4096) -> np.ndarray:
        """One normalised row per text (read up to 256 tokens, like the model). Texts of
        the same token length run together, so no padding changes a result. A text given
        twice is read once: captions repeat lines ("[Music]", "Okay.", a refrain), and a
        forward pass costs far more than a copy."""
        import numpy as np

        distinct: dict[str, int] = {}
        row_of = [distinct.setdefault(text, len(distinct)) for text in texts]
        unique = np.zeros((len(distinct), self.dimensions), dtype=np.float32)
        groups: dict[int, list[tuple[int, list[int]]]] = {}
        for row, text in enumerate(distinct):
            ids = self.token_ids(text)
            groups.setdefault(len(ids), []).append((row, ids))
        for length, members in groups.items():
            step = max(1, batch_tokens // length)
            for start in range(0, len(members), step):
                chunk = members[start:start + step]
                vectors = self._forward([ids for _, ids in chunk])
                unique[[row for row, _ in chunk]] = vectors
        return unique[row_of]


def model() -> Model:
    """The model, loaded once per container."""
    return _models.get(MODEL_DIR, Model)


def embed(texts: Sequence[str]) -> np.ndarray:
    return model().embed(list(texts))


def embed_one(text: str) -> np.ndarray:
    return cast("np.ndarray", embed([text])[0])


# --- storing vectors ------------------------------------------------------------

def pack(vector: Any) -> bytes:
    """A vector as 1 version byte + int8 values scaled to its largest component."""
    values = [float(v) for v in vector]
    top = max((abs(v) for v in values), default=0.0) or 1.0
    quantised = [max(-127, min(127, round(v / top * 127))) for v in values]
    return bytes([PACK_VERSION]) + struct.pack(f"{len(quantised)}b", *quantised)


def unpack_many(blobs: Sequence[Any]) -> tuple[np.ndarray, list[int]]:
    """Stored vectors as one (n, d) matrix of unit rows, and which inputs they came from
    (blobs of another version or size are left out)."""
    import numpy as np

    rows, kept = [], []
    size = None
    for index, blob in enumerate(blobs):
        data = getattr(blob, "value", blob)
        if not isinstance(data, (bytes, bytearray)) or len(data) < 2 \
                or data[0] != PACK_VERSION or (size is not None and len(data) != size):
            continue
        size = len(data)
        rows.append(bytes(data[1:]))
        kept.append(index)
    if not rows:
        return np.zeros((0, 0), dtype=np.float32), []
    matrix = np.frombuffer(b"".join(rows), dtype=np.int8).reshape(len(rows), -1).astype(
        np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms, kept
