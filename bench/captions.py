"""Caption parser benchmark (issue 20): uploads built to make the parser slow, each
timed through the upload entry point (chalicelib.youtube.uploads.parse, strict) and
the non-strict parser the yt-dlp path uses, against a realistic caption file of the
same size and format. Time to answer: a rejection (a 400) counts as an answer.
The parse is single-threaded and CPU-bound, so it is timed in CPU seconds (process
time), which other load on a shared machine does not inflate as it does wall time.

Linear parsing keeps every ratio within a small constant (the target: 3); the
quadratic parser of issue 20 took minutes on the first rows."""
from __future__ import annotations

import time
from collections.abc import Callable

from chalicelib.youtube import captions, uploads
from testkit.lectures import SENTENCES

SIZE = 2_000_000  # bytes: just under the 2 MiB upload limit
VIDEO_ID = "dQw4w9WgXcQ"
REPEATS = 3  # best of, per file and entry point


def _clock(seconds: float, separator: str = ".") -> str:
    whole, millis = int(seconds), int(round(seconds % 1 * 1000))
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}{separator}{millis:03d}"


def _fill(blocks: Callable[[int], str], head: str, size: int) -> str:
    """head, then blocks 0, 1, 2... while the file stays within size bytes."""
    parts, length, index = [head], len(head), 0
    while length + len(block := blocks(index)) <= size:
        parts.append(block)
        length += len(block)
        index += 1
    return "".join(parts)


def plain_vtt(size: int) -> str:
    """YouTube's automatic captions as downloaded: rolling two-line cues with word
    timing tags, and a 10 ms cue repeating the finished line."""
    def block(index: int) -> str:
        start, line = index * 3.6, SENTENCES[index % len(SENTENCES)]
        previous = SENTENCES[(index - 1) % len(SENTENCES)] if index else " "
        timed = line.replace(" ", "<00:00:00.500><c> ", 1) + "</c>"
        return (f"{_clock(start)} --> {_clock(start + 3.59)} align:start position:0%\n"
                f"{previous}\n{timed}\n\n"
                f"{_clock(start + 3.59)} --> {_clock(start + 3.6)} align:start position:0%\n"
                f"{line}\n \n\n")
    return _fill(block, "WEBVTT\nKind: captions\nLanguage: en\n\n", size)


def plain_srt(size: int) -> str:
    """Numbered SRT cues, a sentence every 4 seconds."""
    def block(index: int) -> str:
        start = index * 4.0
        return (f"{index + 1}\n{_clock(start, ',')} --> {_clock(start + 3.8, ',')}\n"
                f"{SENTENCES[index % len(SENTENCES)]}\n\n")
    return _fill(block, "", size)


def _vtt_cue(text: str) -> str:
    return f"WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n{text}\n"


def _srt_cue(text: str) -> str:
    return f"1\n00:00:00,000 --> 00:00:05,000\n{text}\n"


def _run_of(unit: str, size: int, wrap: Callable[[str], str]) -> str:
    """wrap(unit repeated) at size bytes."""
    room = size - len(wrap(""))
    return wrap((unit * (room // len(unit) + 1))[:room])


def two_cues_of_many_lines(size: int) -> str:
    """Two cues of ~333k two-letter lines each (issue 20): no line repeats, so the
    old search for repeated lines tried every overlap length, copying both lists each
    time."""
    lines = (size - 60) // 6
    return ("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n" + "ab\n" * lines + "\n"
            "00:00:01.000 --> 00:00:02.000\n" + "ba\n" * lines)


def nearly_repeating_cues(size: int) -> str:
    """The first cue ends in a line the second lacks: each overlap length the old
    search tried compared nearly all of its lines before failing."""
    lines = (size - 60) // 6
    return ("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n" + "ab\n" * (lines - 1) + "cd\n\n"
            "00:00:01.000 --> 00:00:02.000\n" + "ab\n" * lines)


def overlap_worst_case(size: int) -> str:
    """Two cues of ~500k one-letter lines over the same two letters, the second
    almost the first: the search for the longest overlap runs its whole course (it
    is one line)."""
    lines = (size - 70) // 4
    return ("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n" + "a\n" * (lines - 2) + "b\na\n\n"
            "00:00:01.000 --> 00:00:02.000\n" + "a\n" * (lines - 1) + "b\n")


def dense_cues(size: int) -> str:
    """Cues of three short lines, each cue's lines almost the previous one's: the
    most cues (and segments) a file can hold while every cue adds text."""
    cues = ("ab\nab\ncd\n", "ab\ncd\nab\n")
    return _fill(lambda index: f"0:00.000 --> 0:01.000\n{cues[index % 2]}\n", "WEBVTT\n\n",
                 size)


def _timing_head(spaces: int, tail: str) -> str:
    return f"WEBVTT\n\n00:00:00.000 -->{' ' * spaces}{tail}\nsome text\n"


def spaces_in_a_timing(size: int) -> str:
    """Spaces between the arrow and the end time: a valid timing, slow to match by
    backtracking regexes."""
    return _timing_head(size - 50, "00:00:01.000")


def spaces_then_no_end_time(size: int) -> str:
    """A timing line of spaces with no end time: rejected after every backtrack."""
    return _timing_head(size - 50, "x")


def tiny_cues(size: int) -> str:
    """The most cues a file of this size can hold: per-cue work at its worst."""
    return _fill(lambda index: "0:00.000 --> 0:01.000\nx\n\n", "WEBVTT\n\n", size)


def tiny_srt_cues(size: int) -> str:
    return _fill(lambda index: "1\n0:00,000 --> 0:01,000\nx\n\n", "", size)


ONE_CUE = "00:00:00.000 --> 00:00:01.000\nx\n"


def many_blank_lines(size: int) -> str:
    return _run_of("\n", size, lambda text: f"WEBVTT\n{text}{ONE_CUE}")


ADVERSARIAL: tuple[tuple[str, str, Callable[[int], str]], ...] = (
    ("two cues of ~333k lines each (issue 20)", "vtt", two_cues_of_many_lines),
    ("two cues, the second repeating all but one line", "vtt", nearly_repeating_cues),
    ("two cues of ~500k one-letter lines, overlap search's worst", "vtt", overlap_worst_case),
    ("WebVTT cue: one line of `<`", "vtt", lambda n: _run_of("<", n, _vtt_cue)),
    ("SRT cue: one line of `<`", "srt", lambda n: _run_of("<", n, _srt_cue)),
    ("WebVTT cue: one line of `<a` without `>`", "vtt", lambda n: _run_of("<a", n, _vtt_cue)),
    ("SRT cue: one line of `<a` without `>`", "srt", lambda n: _run_of("<a", n, _srt_cue)),
    ("WebVTT cue: tags nested `<i<i...<b>...>>`", "vtt",
     lambda n: _vtt_cue("<i" * ((n - 40) // 3) + "<b>" + ">" * ((n - 40) // 3))),
    ("WebVTT cue: escaped tags `&lt;b&gt;`", "vtt",
     lambda n: _run_of("&lt;b&gt;x", n, _vtt_cue)),
    ("WebVTT cue: 5,000-digit character references", "vtt",
     lambda n: _run_of("&#" + "1" * 5000 + "; ", n, _vtt_cue)),
    ("timing line: 2 MB of spaces, then the end time", "vtt", spaces_in_a_timing),
    ("timing line: 2 MB of spaces, no end time", "vtt", spaces_then_no_end_time),
    ("SRT timing line: 2 MB of spaces before the arrow", "srt",
     lambda n: f"1\n00:00:00,000{' ' * (n - 50)}--> 00:00:01,000\nx\n"),
    ("one cue of 1M one-letter lines", "vtt", lambda n: _run_of("x\n", n, _vtt_cue)),
    ("~90k tiny cues", "vtt", tiny_cues),
    ("~70k tiny SRT cues", "srt", tiny_srt_cues),
    ("~60k cues of three lines, each adding text", "vtt", dense_cues),
    ("2 MB of empty lines", "vtt", many_blank_lines),
    ("~400k NOTE lines between cues", "vtt",
     lambda n: _run_of("NOTE\n", n, lambda text: f"WEBVTT\n\n{text}{ONE_CUE}")),
    ("WebVTT header of 1M lines", "vtt",
     lambda n: _run_of("x\n", n, lambda text: f"WEBVTT\n{text}\n{ONE_CUE}")),
    ("cue of ~500k `-->` lines", "vtt", lambda n: _run_of("-->\n", n, _vtt_cue)),
)
PLAIN = {"vtt": plain_vtt, "srt": plain_srt}


def _upload(text: str) -> str:
    try:
        transcript = uploads.parse(text, VIDEO_ID)
    except uploads.UploadTooLarge:
        return "413"
    except uploads.UploadRejected:
        return "400"
    return f"accepted, {len(transcript.segments):,} segments"


def _parser(kind: str) -> Callable[[str], object]:
    parse = captions.parse_vtt if kind == "vtt" else captions.parse_srt

    def parse_or_refuse(text: str) -> object:
        try:
            return parse(text)
        except ValueError:
            return None
    return parse_or_refuse


def _best_of(parse: Callable[[str], object], text: str) -> tuple[float, object]:
    best, answer = float("inf"), None
    for _ in range(REPEATS):
        started = time.process_time()
        answer = parse(text)
        best = min(best, time.process_time() - started)
    return best, answer


def measure(label: str, kind: str, text: str) -> dict:
    """CPU seconds to answer through both entry points, and the upload's answer."""
    upload_seconds, answer = _best_of(_upload, text)
    parser_seconds, _ = _best_of(_parser(kind), text)
    return {"file": label, "kind": kind, "bytes": len(text.encode()), "answer": answer,
            "upload": upload_seconds, "parser": parser_seconds}


def run() -> dict:
    plain = {kind: measure(f"plain {kind}", kind, make(SIZE)) for kind, make in PLAIN.items()}
    rows = []
    for label, kind, make in ADVERSARIAL:
        row = measure(label, kind, make(SIZE))
        reference = plain[kind]
        row["upload_ratio"] = row["upload"] / reference["upload"]
        row["parser_ratio"] = row["parser"] / reference["parser"]
        rows.append(row)
    return {"plain": plain, "rows": rows}


def report(result: dict) -> list[str]:
    plain = result["plain"]
    lines = ["", "## Caption parser on adversarial uploads", "",
             f"CPU seconds to answer (best of {REPEATS}) through `uploads.parse` (strict, as "
             "POST /videos) and the non-strict parser (`parse_vtt` / `parse_srt`), and "
             "the ratio to a realistic file of the same size and format: YouTube's rolling "
             f"auto-captions, {plain['vtt']['bytes']:,} bytes, "
             f"{plain['vtt']['upload']:.2f} s / {plain['vtt']['parser']:.2f} s "
             f"({plain['vtt']['answer']}); numbered SRT cues, {plain['srt']['bytes']:,} "
             f"bytes, {plain['srt']['upload']:.2f} s / {plain['srt']['parser']:.2f} s "
             f"({plain['srt']['answer']}: 20 hours of cues). Target: every ratio at most 3.",
             "",
             "| file | size (bytes) | upload answer | upload seconds | ratio "
             "| parser seconds | ratio |", "|---|---|---|---|---|---|---|"]
    for row in result["rows"]:
        lines.append(f"| {row['file']} | {row['bytes']:,} | {row['answer']} | "
                     f"{row['upload']:.3f} | {row['upload_ratio']:.2f} | "
                     f"{row['parser']:.3f} | {row['parser_ratio']:.2f} |")
    worst = max(max(row["upload_ratio"], row["parser_ratio"]) for row in result["rows"])
    lines += ["", f"Worst ratio: {worst:.2f}."]
    return lines
