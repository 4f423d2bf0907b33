"""Sentence embeddings without torch: all-MiniLM-L6-v2, exported by `make model`.

scripts/build_model.py loads the reference model through sentence-transformers
and writes its weights, int8-quantised per output row, into
chalicelib/model/minilm-l6-int8.safetensors, with the model's own WordPiece
vocabulary. This module runs the same network (BERT, 6 layers, 384 dimensions,
mean pooling, L2 normalisation, 256 tokens at most) with numpy alone, and
tokenises with a pure-Python copy of the BERT tokenizer, so the Lambda package
needs neither torch, onnxruntime nor tokenizers.

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
import threading
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "model"
WEIGHTS_FILE = "minilm-l6-int8.safetensors"
VOCAB_FILE = "vocab.txt"
META_FILE = "model.json"
# The first byte of every packed embedding: which model (and format) wrote it.
# Vectors of another version are never compared with this model's.
PACK_VERSION = 1

_model: "Model | None" = None
_lock = threading.Lock()


# --- the tokenizer (BertNormalizer + BertPreTokenizer + WordPiece, uncased) ------

def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F
            or 0x2B820 <= code <= 0x2CEAF or 0xF900 <= code <= 0xFAFF
            or 0x2F800 <= code <= 0x2FA1F)


def _slices(text: str, size: int = 2048) -> Iterable[str]:
    """The text in pieces cut at plain spaces (always a word boundary), so a long
    text is normalised only as far as it is read."""
    start = 0
    while start < len(text):
        end = text.find(" ", start + size) if start + size < len(text) else -1
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end


class Tokenizer:
    """bert-base-uncased tokenisation, as the model's tokenizer.json configures it."""

    def __init__(self, vocab: Sequence[str], max_chars_per_word: int = 100) -> None:
        self.ids = {token: index for index, token in enumerate(vocab)}
        self.max_chars_per_word = max_chars_per_word
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    def normalize(self, text: str) -> str:
        out = []
        for char in text:
            code = ord(char)
            if code == 0 or code == 0xFFFD or _is_control(char):
                continue
            if _is_whitespace(char):
                out.append(" ")
            elif _is_cjk(code):
                out.append(f" {char} ")
            else:
                out.append(char)
        text = unicodedata.normalize("NFD", "".join(out))
        return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()

    def words(self, text: str) -> Iterable[str]:
        for part in _slices(text):
            for chunk in self.normalize(part).split():
                start = 0
                for index, char in enumerate(chunk):
                    if _is_punctuation(char):
                        if start < index:
                            yield chunk[start:index]
                        yield char
                        start = index + 1
                if start < len(chunk):
                    yield chunk[start:]

    def wordpieces(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self.max_chars_per_word:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    pieces.append(found)
                    break
                end -= 1
            else:
                pieces = [self.unk]
                break
            start = end
        if len(self._cache) < 50_000:
            self._cache[word] = pieces
        return pieces

    def encode(self, text: str, max_length: int = 256) -> list[int]:
        """[CLS] wordpieces [SEP], truncated to max_length as sentence-transformers does.
        Stops reading the text once enough pieces are found (long notes stay cheap)."""
        budget = max_length - 2
        ids: list[int] = []
        for word in self.words(text):
            ids += self.wordpieces(word)
            if len(ids) >= budget:
                break
        return [self.cls, *ids[:budget], self.sep]


# --- the network -----------------------------------------------------------------

def read_safetensors(path: Path) -> dict[str, "np.ndarray"]:
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


def _gelu(x: "np.ndarray") -> "np.ndarray":
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
    return np.subtract(np.maximum(x, 0.0, out=z), poly, out=z)


def _layer_norm(x: "np.ndarray", weight: "np.ndarray", bias: "np.ndarray",
                eps: float) -> "np.ndarray":
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / (variance + eps) ** 0.5 * weight + bias


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

    def _forward(self, batch: list[list[int]]) -> "np.ndarray":
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

    def embed(self, texts: Sequence[str], batch_tokens: int = 4096) -> "np.ndarray":
        """One normalised row per text (read up to 256 tokens, like the model). Texts of
        the same token length run together, so no padding changes a result."""
        import numpy as np

        out = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        groups: dict[int, list[tuple[int, list[int]]]] = {}
        for position, text in enumerate(texts):
            ids = self.token_ids(text)
            groups.setdefault(len(ids), []).append((position, ids))
        for length, members in groups.items():
            step = max(1, batch_tokens // length)
            for start in range(0, len(members), step):
                chunk = members[start:start + step]
                vectors = self._forward([ids for _, ids in chunk])
                out[[position for position, _ in chunk]] = vectors
        return out


def model() -> Model:
    """The model, loaded once per container."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                _model = Model()
    return _model


def embed(texts: Sequence[str]) -> "np.ndarray":
    return model().embed(list(texts))


def embed_one(text: str) -> "np.ndarray":
    return embed([text])[0]


# --- storing vectors ------------------------------------------------------------

def pack(vector: Any) -> bytes:
    """A vector as 1 version byte + int8 values scaled to its largest component."""
    values = [float(v) for v in vector]
    top = max((abs(v) for v in values), default=0.0) or 1.0
    quantised = [max(-127, min(127, round(v / top * 127))) for v in values]
    return bytes([PACK_VERSION]) + struct.pack(f"{len(quantised)}b", *quantised)


def unpack(data: Any) -> "np.ndarray | None":
    """The stored vector (unit length), or None for another version or no vector."""
    import numpy as np

    data = getattr(data, "value", data)  # boto3's Binary
    if not isinstance(data, (bytes, bytearray)) or len(data) < 2 or data[0] != PACK_VERSION:
        return None
    vector = np.frombuffer(bytes(data[1:]), dtype=np.int8).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else None


def unpack_many(blobs: Sequence[Any]) -> tuple["np.ndarray", list[int]]:
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
