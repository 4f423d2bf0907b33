"""Rebuild only the taxonomy's vectors (chalicelib/knowledge/model/taxonomy.safetensors)
with the shipped numpy model, no torch: `python scripts/build_taxonomy_vectors.py`.

`make model` (scripts/build_model.py) writes the same file the same way (the exported
numpy model embedding taxonomy.texts()) while it rebuilds the whole model; this is for
when only the taxonomy's descriptions changed (issue 12 calibrated them), so the
model's weights stay byte for byte what they were. The file holds the vectors and the
taxonomy's fingerprint, which tests/knowledge checks. Deterministic: the same bytes
every run on the same numpy.
"""
from __future__ import annotations

import hashlib
import json
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from chalicelib.knowledge import embeddings, taxonomy  # noqa: E402

TAXONOMY_FILE = "taxonomy.safetensors"  # chalicelib.knowledge.filing.TAXONOMY_FILE


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """Sorted names, an 8-byte aligned header, no timestamps (as build_model.py)."""
    names = {np.dtype(np.float32): "F32", np.dtype(np.uint8): "U8"}
    header: dict = {"__metadata__": {"format": "np"}}
    offset, blobs = 0, []
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"".join(blobs))


def main() -> int:
    vectors = embeddings.Model(embeddings.MODEL_DIR).embed(taxonomy.texts())
    path = embeddings.MODEL_DIR / TAXONOMY_FILE
    write_safetensors(path, {
        "vectors": vectors.astype(np.float32),
        "fingerprint": np.frombuffer(taxonomy.fingerprint().encode(), dtype=np.uint8)})
    print(f"{path}: {len(taxonomy.texts())} texts, sha256 "
          f"{hashlib.sha256(path.read_bytes()).hexdigest()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
