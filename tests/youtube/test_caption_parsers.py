"""The caption parsers on hostile input (issue 20): linear in the file's size, plain
text out (no tags, decoded entities), and a clear 400 for text that is not Unicode.

Linearity is checked without clocks: by counting the work of the repeated-line
search at two sizes (lines compared or hashed, Python lines run), and, for the
regexes (whose steps cannot be counted), by inputs on which the quadratic parser
needed minutes, under a timeout that a linear one meets many times over."""
from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable
from types import FrameType

import pytest

from chalicelib.core.errors import BadRequestError
from chalicelib.http import validation
from chalicelib.youtube import captions, uploads
from chalicelib.youtube.captions import parse_json3, parse_srt, parse_vtt
from tests.conftest import call

VIDEO_ID = "dQw4w9WgXcQ"


def vtt(*cues: list[str]) -> str:
    """A WebVTT file of one-second cues, each given as its lines."""
    blocks = [f"00:00:{index:02d}.000 --> 00:00:{index + 1:02d}.000\n" + "\n".join(lines)
              for index, lines in enumerate(cues)]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def texts(segments: list[dict]) -> list[str]:
    return [segment["text"] for segment in segments]


# --- the repeated-line search (rolling auto-captions) --------------------------------

class CountedLine(str):
    """A caption line that counts how often it is compared or hashed."""

    uses = 0

    def __eq__(self, other: object) -> bool:
        CountedLine.uses += 1
        return str.__eq__(self, other)

    def __hash__(self) -> int:
        CountedLine.uses += 1
        return str.__hash__(self)


def work(previous: list[str], cue: list[str]) -> tuple[int, int]:
    """The repeated lines found, and the work it took: the lines compared or hashed,
    plus the Python lines run in captions.py (its loops), counted by a trace."""
    steps = 0

    def trace(frame: FrameType, event: str, arg: object) -> Callable | None:
        nonlocal steps
        if frame.f_code.co_filename != captions.__file__:
            return None
        steps += event == "line"
        return trace

    CountedLine.uses = 0
    tracer = sys.gettrace()
    sys.settrace(trace)
    try:
        found = captions._repeated_lines([CountedLine(line) for line in previous],
                                         [CountedLine(line) for line in cue])
    finally:
        sys.settrace(tracer)
    return found, CountedLine.uses + steps


# Each is adversarial for trying every overlap length: no overlap at all (the
# issue's file), and an overlap of one line behind lines that almost overlap.
def distinct(lines: int) -> tuple[list[str], list[str]]:
    return ["ab"] * lines, ["ba"] * lines


def almost(lines: int) -> tuple[list[str], list[str]]:
    return ["a"] * (lines - 2) + ["b", "a"], ["a"] * (lines - 1) + ["b"]


@pytest.mark.parametrize("make, repeated", [(distinct, 0), (almost, 1)])
def test_the_repeated_line_search_is_linear_in_the_lines(make, repeated) -> None:
    found, small = work(*make(2_000))
    assert found == repeated
    found, large = work(*make(8_000))
    assert found == repeated
    # Trying every length does up to n² / 2 steps: 16 times as many for 4 times the
    # lines. A linear search: 4 times as many, and a few dozen a line at most.
    assert large <= 4.5 * small
    assert large <= 40 * 8_000


def longest_overlap(previous: list[str], cue: list[str]) -> int:
    """Trying every length, longest first: slow, and obviously right."""
    return max(n for n in range(min(len(previous), len(cue)) + 1)
               if cue[:n] == previous[len(previous) - n:])


def test_the_repeated_line_search_finds_the_longest_overlap() -> None:
    """Short cues are tried directly, longer ones by the linear search (also run on
    short ones here)."""
    generator = random.Random(20)
    for _ in range(3_000):
        previous = generator.choices("ab", k=generator.randint(0, 30))
        cue = generator.choices("abc", k=generator.randint(0, 30))
        assert captions._repeated_lines(previous, cue) == longest_overlap(previous, cue)
        shortest = min(len(previous), len(cue))
        if shortest:
            tail, head = previous[len(previous) - shortest:], cue[:shortest]
            assert captions._longest_overlap(tail, head) == longest_overlap(previous, cue)
    assert captions._repeated_lines(["a", "b"] * 20, ["a", "b"] * 18 + ["c"]) == 36


def test_a_cue_repeating_many_lines_of_the_previous_one_drops_them_all() -> None:
    first = [f"line {number}" for number in range(30)]
    segments = parse_vtt(vtt(first, first[5:] + ["line 30"], ["line 31"]))
    assert texts(segments) == [" ".join(first), "line 30", "line 31"]


@pytest.mark.timeout(15)
def test_two_cues_of_200k_lines_parse_at_once() -> None:
    # The file (340k lines a cue) at 60% of its size: trying every overlap
    # length took 10 s for 50k lines a cue, so minutes here.
    text = vtt(["ab"] * 200_000, ["ba"] * 200_000)
    assert len(parse_vtt(text)) == 2
    assert "more than anyone can say" in _upload_answer(text)


def _upload_answer(text: str) -> str:
    """What POST /videos would answer about the file: its segments or the 400."""
    try:
        return f"{len(uploads.parse(text, VIDEO_ID).segments)} segments"
    except uploads.UploadRejected as exc:
        return str(exc)


# --- tags ------------------------------------------------------------------------------

@pytest.mark.timeout(20)
@pytest.mark.parametrize("fill", ["<", "<a", "<a <b <"])
def test_a_long_line_of_unclosed_tags_parses_at_once(fill: str) -> None:
    # One 600 KB line: "<[^>]*>" rescanned it from every "<" (minutes).
    line = fill * (600_000 // len(fill))
    for text, parse in ((vtt([line]), parse_vtt),
                        (f"1\n00:00:00,000 --> 00:00:05,000\n{line}\n", parse_srt)):
        assert texts(parse(text)) == [" ".join(line.split())]
        assert "more than anyone can say" in _upload_answer(text)


def test_escaped_tags_do_not_become_tags() -> None:
    segments = parse_vtt(vtt(["&lt;img src=x onerror=alert(1)&gt;Hi &lt;b&gt;there&lt;/b&gt;",
                              "&#60;script&#62;x&#60;/script&#62; &amp;lt;i&amp;gt;"]))
    # Escaped markup is the caption's own words: kept, never as a tag.
    assert texts(segments) == ["‹img src=x onerror=alert(1)›Hi ‹b›there‹/b› "
                               "‹script›x‹/script› &lt;i&gt;"]


def test_a_lone_less_than_sign_is_text() -> None:
    segments = parse_vtt(vtt(["if x < y and y > z then x &lt; z", "a <3 b, 1<2, <<"]))
    assert texts(segments) == ["if x < y and y > z then x < z a <3 b, 1<2, <<"]


def test_tags_formed_by_removing_tags_are_not_left() -> None:
    text = texts(parse_vtt(vtt(["<<b>img src=x>caption", "<i<i>>x</i</i>>"])))[0]
    assert "<img" not in text and "<i>" not in text and "caption" in text


def test_tags_and_entities_in_json3_captions_are_plain_text() -> None:
    document = {"events": [{"tStartMs": 0, "dDurationMs": 1000, "segs": [
        {"utf8": '<font color="#E5E5E5">fish</font> &amp; '},
        {"utf8": "chips &lt;b&gt;\nand x < y"}]}]}
    # A cue with escaped markup has all its brackets as look-alikes (one pass, linear).
    assert texts(parse_json3(json.dumps(document))) == ["fish & chips ‹b› and x ‹ y"]


def test_real_caption_markup_still_comes_out_as_before() -> None:
    segments = parse_vtt(vtt(
        ["<v Prof>Welcome to <i>6.006</i>.</v>"],
        ["so<00:00:00.480><c> today</c><c.colorE5E5E5> we</c>", " "],
        ["fish &amp; chips&nbsp;and&#10;peas", "&NewLine;"]))
    assert texts(segments) == ["Welcome to 6.006.", "so today we", "fish & chips and peas"]


# --- character references --------------------------------------------------------------

def test_a_huge_numeric_character_reference_is_a_replacement_character() -> None:
    # html.unescape calls int() on the digits: past 4,300 digits, a ValueError (a 500).
    reference = "&#" + "1" * 5_000 + ";"
    text = vtt([f"before {reference} after", "&#x" + "0" * 5_000 + "41; &#0000000065;"])
    assert texts(parse_vtt(text)) == ["before \ufffd after A A"]
    assert uploads.parse(text, VIDEO_ID).segments[0].text == "before \ufffd after A A"


# --- text that is not Unicode -----------------------------------------------------------

def test_a_transcript_with_a_lone_surrogate_is_a_400_naming_it(client, user) -> None:
    body = json.dumps({"url": f"https://youtu.be/{VIDEO_ID}",
                       "transcript": vtt(["Hello \ud800 world"])})
    assert "\\ud800" in body  # JSON allows the escape; UTF-8 cannot encode it
    response = call(client, "POST", "/videos", token=user["id_token"], body=body)
    assert response.status_code == 400, response.body
    message = response.json_body["Message"]
    assert "'transcript' is not valid Unicode text" in message and "\\ud800" in message


@pytest.mark.parametrize("body, where", [
    ('{"name": "Ada \\udfff"}', "'name'"),
    ('{"preferences": {"language": ["\\ud83d"]}}', "'preferences'"),
    ('{"\\ud800": 1}', "A field name in the request body"),
    ('"\\ud800"', "Request body"),
])
def test_any_lone_surrogate_in_a_body_is_a_400(body: str, where: str) -> None:
    with pytest.raises(BadRequestError, match=f"^{where} is not valid Unicode text"):
        validation.parse_json(body.encode())


def test_surrogate_pairs_and_escaped_backslashes_are_fine() -> None:
    body = b'{"a": "\\ud83d\\ude00 \\\\ud800"}'  # a pair, and an escaped backslash
    assert validation.parse_json(body) == {"a": "\U0001f600 \\ud800"}


def test_uploads_refuse_a_lone_surrogate_themselves() -> None:
    with pytest.raises(uploads.UploadRejected, match="not valid Unicode text"):
        uploads.parse(vtt(["Hello \ud800"]), VIDEO_ID)


@pytest.mark.parametrize("block", [
    "NOTE This is a comment\nthat spans two lines",
    "NOTE\tmade with a tab\nand a second line",
    "NOTE\nA comment on lines of its own\n- even one like a list",
    "STYLE\n::cue {\n  color: yellow;\n}",
    "REGION\nid:fred\nwidth:40%\nlines:3",
])
def test_an_upload_with_webvtt_comment_style_and_region_blocks_is_read(block: str) -> None:
    # Subtitle editors write these blocks; they are not cues and hold no caption text.
    content = f"WEBVTT\n\n{block}\n\n00:00:01.000 --> 00:00:04.000\nHello there students\n"
    segments = captions.parse_caption_file(content)
    assert [segment["text"] for segment in segments] == ["Hello there students"]


def test_a_stray_line_after_a_comment_block_is_still_refused() -> None:
    content = ("WEBVTT\n\nNOTE a comment\n\nnot a cue at all\n\n"
               "00:00:01.000 --> 00:00:04.000\nHello\n")
    with pytest.raises(captions.CaptionFileError, match="line 5: expected a cue timing"):
        captions.parse_caption_file(content)
