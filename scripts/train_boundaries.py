"""Train the sentence-boundary model of chalicelib/notes/offline/boundaries.py.

    .venv/bin/python scripts/train_boundaries.py [--out FILE]

Texts: the team's spoken-style lecture texts in bench/corpus (filing*.json,
offtopic*.json: punctuated, written as lecturers talk), never the benchmark's lectures
(bench/corpus/lectures, the dense lectures, the samples). Every fifth text is held out
(the development texts the splitter's weight for the model is chosen on); the model is
trained on the other four fifths. Each gap between two words is an example: 1 where
the text puts a sentence end there. Logistic regression over hashed features, by
stochastic gradient descent (a fixed seed: the same file every run), weights
quantised to int8.
"""
from __future__ import annotations

import json
import math
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chalicelib.notes.offline import boundaries  # noqa: E402

CORPUS = ROOT / "bench" / "corpus"
SOURCES = ("filing.json", "filing_dev.json", "filing_test.json", "offtopic.json",
           "offtopic_dev.json", "offtopic_test.json")
EPOCHS, RATE, DECAY = 4, 0.2, 1e-4
_END = re.compile(r"[.?!…][\"'”)»]*$")
ABBREVIATIONS = {"mr.", "mrs.", "dr.", "e.g.", "i.e.", "etc.", "vs.", "st.", "prof."}


def texts() -> tuple[list[str], list[str]]:
    """(training texts, development texts): every fifth text is for development."""
    found = [item["text"] for name in SOURCES for item in json.loads((CORPUS / name).read_text())]
    return ([text for i, text in enumerate(found) if i % 5 != 4],
            [text for i, text in enumerate(found) if i % 5 == 4])


def labelled(text: str) -> tuple[list[str], list[int]]:
    """The text's words as automatic captions write them, and 1 after each that ends a
    sentence."""
    words, ends = [], []
    for token in text.split():
        word = boundaries.word_of(token)
        if not word:
            continue
        words.append(word)
        ends.append(int(bool(_END.search(token)) and token.casefold() not in ABBREVIATIONS))
    return words, ends


def examples(chosen: list[str]) -> list[tuple[list[int], int]]:
    out = []
    for text in chosen:
        words, ends = labelled(text)
        out += [(boundaries.features(words, i), ends[i]) for i in range(len(words) - 1)]
    return out


def train(data: list[tuple[list[int], int]]) -> tuple[list[float], float, float]:
    prior = sum(label for _, label in data) / len(data)
    weights = [0.0] * boundaries.BUCKETS
    bias = math.log(prior / (1 - prior))
    rng = random.Random(21)
    for _ in range(EPOCHS):
        order = list(range(len(data)))
        rng.shuffle(order)
        for index in order:
            buckets, label = data[index]
            z = bias + sum(weights[b] for b in buckets)
            p = 1 / (1 + math.exp(-max(-30.0, min(30.0, z))))
            gradient = p - label
            for b in buckets:
                weights[b] -= RATE * (gradient + DECAY * weights[b])
            bias -= RATE * gradient * 0.1
    return weights, bias, prior


def main() -> None:
    out = Path(sys.argv[sys.argv.index("--out") + 1]) if "--out" in sys.argv \
        else boundaries.MODEL_FILE
    training, development = texts()
    weights, bias, prior = train(examples(training))
    scale = max(abs(w) for w in weights) / 127 or 1.0
    body = bytes((round(w / scale) & 0xFF) for w in weights)
    header = json.dumps({"buckets": boundaries.BUCKETS, "scale": scale, "bias": bias,
                         "prior": prior, "texts": len(training), "epochs": EPOCHS})
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(header.encode() + b"\n" + body)
    model = boundaries.Model(out)
    tp = fp = fn = 0
    for text in development:
        words, ends = labelled(text)
        for i in range(len(words) - 1):
            said = model.log_odds(words, i) > 0
            tp, fp, fn = tp + (said and ends[i]), fp + (said and not ends[i]), \
                fn + (not said and ends[i])
    print(f"{out.name}: {len(body)} bytes; development texts "
          f"({len(development)}): precision {tp / max(1, tp + fp):.2f}, "
          f"recall {tp / max(1, tp + fn):.2f} at log-odds above the prior")


if __name__ == "__main__":
    main()
