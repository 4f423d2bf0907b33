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
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from chalicelib.knowledge import embeddings, taxonomy  # noqa: E402
from scripts.build_model import write_safetensors  # noqa: E402 (one writer, the same bytes)

TAXONOMY_FILE = "taxonomy.safetensors"  # chalicelib.knowledge.filing.TAXONOMY_FILE


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
