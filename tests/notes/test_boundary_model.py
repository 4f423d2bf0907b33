"""The words around a gap mark sentence ends in unpunctuated English speech (issue 21):
chalicelib.notes.offline.boundaries, trained by scripts/train_boundaries.py."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.sentences import LECTURES, auto_version, measure
from chalicelib.notes.offline import boundaries

ROOT = Path(__file__).resolve().parents[2]


def test_the_words_alone_find_sentence_ends_in_a_lecture() -> None:
    # The determinants lecture as automatic captions with no word times (lower case, no
    # punctuation, 5-10 word cues): only the words say where sentences end. The cue
    # words and length alone cut 24 of its 90 ends, 24 of 50 cuts right.
    data = json.loads((LECTURES / "math_determinants.json").read_text())
    transcript, ends = auto_version(data, timed=False)
    found = measure(transcript, ends)
    assert found["ends"] == 90
    assert found["right"] >= 0.38 * found["ends"], found
    assert found["right"] >= 0.55 * found["cuts"], found


def test_the_model_reads_a_gap_as_a_lecturer_says_it() -> None:
    model = boundaries.model()
    said = "the mitochondria make most of its energy the ribosomes build proteins".split()
    assert model.log_odds(said, said.index("energy")) > 1.0  # "energy | the ribosomes"
    assert model.log_odds(said, said.index("the")) < 0  # "the | mitochondria"
    assert boundaries.word_of("Cell’s,") == "cell's"


def test_the_shipped_model_is_what_the_training_script_makes(tmp_path) -> None:
    shipped = boundaries.MODEL_FILE.read_bytes()
    made = subprocess.run([sys.executable, "scripts/train_boundaries.py", "--out",
                           str(tmp_path / "model.bin")], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert "development texts" in made.stdout
    assert (tmp_path / "model.bin").read_bytes() == shipped
