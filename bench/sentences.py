"""Sentence splitter benchmark (issue 21): automatic captions cut into sentences, against
the same lecture's human captions.

YouTube's automatic captions have no punctuation and cut the speech into short cues
that ignore sentences. For every lecture with human captions (the team's benchmark
lectures in bench/corpus/lectures and the seeded samples in infra/local/samples), the
automatic version is made the way bench/corpus/make_lectures.py makes one (lower case,
punctuation stripped, contiguous 5-10 word cues of the same speech, no pauses: the
hardest case, the words alone), and the offline writer's splitter
(chalicelib.notes.offline.sentence_split.sentences) cuts it. The human captions'
sentence ends are the truth. The seeded auto-caption sample (sbBiology01), whose cues
were written one sentence each, is measured on its own cues.

- boundaries found: the splitter's cuts that are real sentence ends, over its cuts
  (precision), and real ends it cut at, over all (recall);
- whole sentences: the splitter's sentences that start and end at real boundaries
  (one sentence, or several whole ones), over its sentences.

Where the splitter's sentences lie in the captions is read from each sentence's
verbatim quote, so the same measure runs on any version of the splitter.

`python -m bench.sentences` prints the table.
"""
from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LECTURES = ROOT / "bench" / "corpus" / "lectures"
SAMPLES = ROOT / "infra" / "local" / "samples"
_END_RE = re.compile(r"[.?!…][\"'”)]*$")


def _spoken(token: str) -> str:
    """A caption token as automatic captions write it."""
    return re.sub(r"[^\w']", "", token.casefold().replace("’", "'")).strip("'")


def auto_version(data: dict[str, Any], timed: bool = True) -> tuple[Any, set[int]]:
    """(the automatic-caption transcript of a human-caption lecture, the token positions
    after which a sentence ends). `timed`: each word timed as YouTube's speech
    recognition times it, with pauses drawn as real speakers make them
    (testkit.lectures.asr_words: at about half the sentence ends, and hesitations
    mid-sentence); else the words alone, spread evenly over their caption."""
    from chalicelib.youtube.transcript_model import Segment, Transcript
    from testkit.lectures import asr_words

    words: list[tuple[str, float]] = []
    ends: set[int] = set()
    for segment in data["segments"]:
        tokens = segment["text"].split()
        for number, token in enumerate(tokens):
            at = segment["start"] + segment["duration"] * number / max(1, len(tokens))
            spoken = _spoken(token)
            if spoken:
                words.append((spoken, at))
            if _END_RE.search(token) and words:
                ends.add(len(words))
    ends.discard(len(words))
    if timed and words:
        said = " ".join(segment["text"] for segment in data["segments"])
        words = asr_words(said, words[0][1], seed=data["video_id"])
    rng = random.Random(data["video_id"])
    segments, position = [], 0
    while position < len(words):
        size = rng.choice([5, 6, 6, 7, 7, 7, 8, 8, 9, 10])
        if len(words) - position - size < 4:
            size = len(words) - position
        cue = words[position:position + size]
        following = words[position + size][1] if position + size < len(words) else cue[-1][1] + 2
        segments.append(Segment(" ".join(w for w, _ in cue), cue[0][1],
                                max(0.5, following - cue[0][1]),
                                [at for _, at in cue] if timed else None))
        position += size
    transcript = Transcript(video_id=data["video_id"], title=data.get("title", ""),
                            channel="", duration_seconds=int(data.get("duration_seconds", 0)),
                            language=data.get("language", "en"), is_generated=True,
                            segments=segments, chapters=[])
    return transcript, ends


def cue_version(data: dict[str, Any]) -> tuple[Any, set[int]]:
    """(an automatic-caption transcript written one sentence per cue, its cue ends)."""
    from chalicelib.youtube.transcript_model import Transcript

    transcript = Transcript.from_dict(data)
    ends, count = set(), 0
    for segment in transcript.segments:
        count += len(segment.text.split())
        ends.add(count)
    ends.discard(count)
    return transcript, ends


def spans(transcript: Any, quotes: list[str]) -> list[tuple[int, int]]:
    """Where each quote lies in the transcript's tokens (in order; a quote not found in
    order is skipped). Linear: the cursor only moves forward."""
    tokens = [t.casefold() for s in transcript.segments for t in s.text.split()]
    out, cursor = [], 0
    for quote in quotes:
        said = quote.casefold().split()
        if not said:
            continue
        at = cursor
        while at < len(tokens) and tokens[at:at + len(said)] != said:
            at += 1
        if at >= len(tokens):
            continue
        out.append((at, at + len(said)))
        cursor = at + len(said)
    return out


def measure(transcript: Any, ends: set[int]) -> dict[str, int]:
    from chalicelib.notes.offline.sentence_split import sentences

    found = spans(transcript, [s.quote for s in sentences(transcript)])
    total = sum(len(s.text.split()) for s in transcript.segments)
    truth = ends | {0, total}
    cuts = {end for _, end in found} - {total}
    whole = sum(1 for start, end in found
                if _starts_at(start, truth, transcript) and end in truth)
    return {"cuts": len(cuts), "right": len(cuts & ends), "ends": len(ends),
            "sentences": len(found), "whole": whole}


def _starts_at(start: int, truth: set[int], transcript: Any) -> bool:
    """A sentence starts at a real boundary, or after the discourse words and fillers
    the writer drops from the front of a quote ("okay so", "um")."""
    tokens = [t.casefold() for s in transcript.segments for t in s.text.split()]
    back = start
    while back > 0 and back not in truth and tokens[back - 1] in _DROPPED:
        back -= 1
    return back in truth


_DROPPED = frozenset("okay ok alright so now well right also and um uh erm".split())


def _folded(text: str) -> list[str]:
    return [w for w in (_spoken(t) for t in text.split()) if w]


def note_items(transcript: Any, ends: set[int]) -> dict[str, int]:
    """How many of the offline note's items (by their quotes) and summary sentences (by
    their words) start and end at real sentence boundaries."""
    from chalicelib.notes import drafts
    from chalicelib.notes.offline import writer

    draft = writer.draft(transcript, drafts.Options())
    quotes = [c["quote"] for c in draft["core_concepts"]]
    quotes += [p["quote"] for p in draft["key_points"]]
    quotes += [b["quote"] for s in draft["sections"] for b in s["bullets"]]
    quotes += [q["quote"] for q in draft["review_questions"] if q.get("quote")]
    tokens = [_spoken(t) for s in transcript.segments for t in s.text.split()]
    truth = ends | {0, len(tokens)}

    def whole(words: list[str]) -> bool | None:
        for at in _occurrences(tokens, words):
            if _starts_at(at, truth, transcript) and at + len(words) in truth:
                return True
        return False if words else None

    items = [whole(_folded(q)) for q in quotes]
    summary = [whole(_folded(part)) for part in re.split(r"(?<=[.?!])\s+", draft["summary"])]
    return {"items": sum(1 for x in items if x is not None),
            "items_whole": sum(1 for x in items if x),
            "summary": sum(1 for x in summary if x is not None),
            "summary_whole": sum(1 for x in summary if x)}


def _occurrences(tokens: list[str], words: list[str]) -> list[int]:
    first = words[0] if words else None
    return [at for at, token in enumerate(tokens)
            if token == first and tokens[at:at + len(words)] == words]


def real_pair(auto_vtt: Path, manual_srt: Path) -> tuple[Any, set[int]]:
    """(a real automatic-caption track as a transcript, the positions after which the same
    video's human captions end a sentence), the human words aligned to the automatic ones
    (difflib); an end whose word the two tracks do not share is left out."""
    import difflib

    from chalicelib.youtube.captions import parse_srt, parse_vtt
    from chalicelib.youtube.transcript_model import Segment, Transcript

    cues = parse_vtt(auto_vtt.read_text(encoding="utf-8"))
    segments = [Segment.from_dict(c) for c in cues]  # with their words' times
    auto_words = [_spoken(t) for s in segments for t in s.text.split()]
    manual_tokens = [t for c in parse_srt(manual_srt.read_text(encoding="utf-8"))
                     for t in c["text"].split()]
    manual_words = [_spoken(t) for t in manual_tokens]
    matcher = difflib.SequenceMatcher(None, manual_words, auto_words, autojunk=False)
    to_auto = {a + k: b + k for a, b, size in matcher.get_matching_blocks()
               for k in range(size)}
    ends = {to_auto[n] + 1 for n, token in enumerate(manual_tokens)
            if _END_RE.search(token) and n in to_auto}
    ends.discard(len(auto_words))
    transcript = Transcript(video_id="realPair000", title="", channel="",
                            duration_seconds=int(segments[-1].start + segments[-1].duration),
                            language="en", is_generated=True, segments=segments, chapters=[])
    return transcript, ends


def real_rows(directory: Path) -> list[tuple[str, dict[str, int]]]:
    """Real recorded pairs (NAME_auto.vtt with NAME_manual.srt) from a directory outside the
    repository: their caption text belongs to the videos' creators, so it is not shipped;
    `BENCH_REAL_CAPTIONS=dir python -m bench.sentences` measures them."""
    rows = []
    for auto_vtt in sorted(directory.glob("*_auto.vtt")):
        manual = auto_vtt.with_name(auto_vtt.name.replace("_auto.vtt", "_manual.srt"))
        if manual.exists():
            version = real_pair(auto_vtt, manual)
            rows.append((f"real {auto_vtt.name.removesuffix('_auto.vtt')[-24:]}",
                         measure(*version) | note_items(*version)))
    return rows


def run(timed: bool = True) -> list[tuple[str, dict[str, int]]]:
    """The rows: the team's lectures and samples (automatic versions, their words timed
    or not), then any real pairs (BENCH_REAL_CAPTIONS, as recorded)."""
    rows = []
    for path in sorted(LECTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if not data.get("is_generated"):
            version = auto_version(data, timed)
            rows.append((path.stem, measure(*version) | note_items(*version)))
    for path in sorted(SAMPLES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        version = cue_version(data) if data.get("is_generated") else auto_version(data, timed)
        rows.append((f"sample {path.stem}", measure(*version) | note_items(*version)))
    real = os.environ.get("BENCH_REAL_CAPTIONS")
    return rows + (real_rows(Path(real)) if real and timed else [])


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "0/0"


def report(rows: list[tuple[str, dict[str, int]]],
           untimed: list[tuple[str, dict[str, int]]] | None = None) -> list[str]:
    lines = ["## Sentences from automatic captions (issue 21)", "",
             "The offline writer's splitter on automatic-caption versions of human-caption "
             "lectures (lower case, no punctuation, 5-10 word cues, each word timed with "
             "pauses drawn as real speakers make them: testkit.lectures.asr_words), against "
             "the human captions' sentence ends (bench/sentences.py). The last line: the "
             "same lectures' words alone, without word times.", "",
             "| lecture | cuts at a real end | real ends found | whole sentences | "
             "note items whole | summary sentences whole |",
             "|---|---|---|---|---|---|"]
    for name, row in rows:
        lines.append(f"| {name} | {_ratio(row['right'], row['cuts'])} | "
                     f"{_ratio(row['right'], row['ends'])} | "
                     f"{_ratio(row['whole'], row['sentences'])} | "
                     f"{_ratio(row['items_whole'], row['items'])} | "
                     f"{_ratio(row['summary_whole'], row['summary'])} |")
    mine = [row for name, row in rows if not name.startswith("real ")]
    lines.append(_total_line("**all, team's lectures**", mine))
    real = [row for name, row in rows if name.startswith("real ")]
    if real:
        lines.append(_total_line("**all, real recordings**", real))
    if untimed is not None:
        lines.append(_total_line("all, team's lectures, words alone (no word times)",
                                 [row for _, row in untimed]))
    return lines + [""]


def _total_line(name: str, rows: list[dict[str, int]]) -> str:
    totals = {key: sum(row[key] for row in rows) for key in
              ("cuts", "right", "ends", "sentences", "whole", "items", "items_whole",
               "summary", "summary_whole")}
    return (f"| {name} | {_ratio(totals['right'], totals['cuts'])} | "
            f"{_ratio(totals['right'], totals['ends'])} | "
            f"{_ratio(totals['whole'], totals['sentences'])} | "
            f"{_ratio(totals['items_whole'], totals['items'])} | "
            f"{_ratio(totals['summary_whole'], totals['summary'])} |")


def main() -> int:
    print("\n".join(report(run(), run(timed=False))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
