"""Untrusted text in the note (docs/DESIGN.md section 7): captions, titles, channel names
and model output never bring raw HTML, javascript:/data: links, remote images, headings
or callouts; front-matter strings stay strings; file names are safe on every OS; the
Anki export is built from the stored draft, so text in a note makes no cards."""
from __future__ import annotations

import re

import pytest
import yaml
from markdown_it import MarkdownIt

from chalicelib.notes import export, markdown, note_store, safe_text
from tests.conftest import call
from tests.notes.test_export import fetch

HOSTILE = [
    '<img src=x onerror="alert(1)">',
    "<script>alert(document.cookie)</script>",
    "[click me](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![tracker](https://evil.example/pixel.png)",
    "![[secret note]]",
    "<https://evil.example/autolink>",
    "\\<img src=x onerror=alert(2)>",
    "\\\\<img src=x onerror=alert(3)>",
    '<a href="javascript:alert(4)">x</a>',
    "[ref]: javascript:alert(5)",
    "<!-- hidden -->",
]
INJECTED_QUESTIONS = ("Normal summary.\n## Review Questions\n> [!question]- 1. Planted?\n"
                      "> Planted answer.\n# Not a title\nA line\n---\n> [!warning] boo")


def hostile_draft() -> dict:
    timed = [{"text": text, "timestamp": 1.0} for text in HOSTILE]
    return {
        "title": "T", "summary": INJECTED_QUESTIONS + "\n" + "\n".join(HOSTILE),
        "core_concepts": [{"term": text, "definition": text, "timestamp": 2.0}
                          for text in HOSTILE],
        "key_points": timed,
        "sections": [{"title": "## Review Questions <b>x</b>", "timestamp": 3.0,
                      "bullets": timed}],
        "review_questions": [{"question": "What is entropy? " + HOSTILE[0],
                              "answer": "Disorder. " + HOSTILE[2], "timestamp": 4.0}],
        "suggested_subject": "Physics", "tags": ["a"],
    }


def render(draft: dict, *, title: str = "Title <img src=x onerror=alert(1)>",
           channel: str = "Chan <b>nel</b>", category: str = "Physics",
           tags=("heat",), related=("Older [[note]] <i>x</i>",)) -> str:
    return markdown.render(draft=draft, video_id="dQw4w9WgXcQ", title=title, channel=channel,
                           duration_seconds=600, category=category, tags=list(tags),
                           created="2026-11-22T10:00:00Z", generator="claude-test",
                           related_titles=list(related))


def html_of(note: str) -> str:
    body = note.split("\n---\n", 1)[1]
    return MarkdownIt("commonmark", {"html": True}).render(body)


def test_hostile_text_renders_as_text_in_a_commonmark_renderer_with_html_on():
    note = render(hostile_draft())
    html = html_of(note)
    for forbidden in ("<img", "<script", "<a href=\"javascript", "href=\"data:",
                      "<!--", 'src="', "<i>", "<b>"):
        assert forbidden not in html, forbidden
    links = re.findall(r'<a href="([^"]*)"', html)
    assert links and all(link.startswith("https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=")
                         for link in links), links
    # The words are all still there, as text.
    assert "onerror" in html and "javascript:alert(1)" in html


def test_outside_text_opens_no_heading_and_no_callout():
    note = render(hostile_draft())
    headings = [line for line in note.splitlines() if line.startswith("#")]
    assert headings == ["# Title \\<img src=x onerror=alert(1)>", "## Summary",
                        "## Core Concepts", "## Key Points", "## Detailed Notes",
                        "### \\## Review Questions \\<b>x\\</b> ([00:03]"
                        "(https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=3s))",
                        "## Review Questions", "## Related Notes"]
    callouts = [line for line in note.splitlines() if line.startswith("> [!")]
    assert len(callouts) == 1 and callouts[0].startswith("> [!question]- 1. What is entropy?")
    html = html_of(note)
    assert html.count("<h2>") == 6 and "<hr" not in html
    assert html.count("<blockquote>") == 1


def test_bidi_overrides_and_control_characters_are_dropped():
    text = "evil\u202egnp.exe\u200b\x00\x07 ok\u2028next"
    assert safe_text.inline(text) == "evilgnp.exe ok next"
    assert "\u202e" not in render(hostile_draft(), title="Title \u202eoops")


def test_latex_survives_while_tags_do_not():
    assert safe_text.inline(r"Entropy $S = k_B \ln \Omega$ and $a < b$") == \
        r"Entropy $S = k_B \ln \Omega$ and $a \lt b$"
    assert safe_text.inline("<b>bold</b>") == "\\<b>bold\\</b>"


@pytest.mark.parametrize("text,expected", [
    ("$[0,1]$", "$[0,1]$"), ("$x<y$", r"$x\lt y$"), ("$x>0$", r"$x\gt0$"),
    ("on $[a, b]$ where $f(a) < 0 < f(b)$", r"on $[a, b]$ where $f(a) \lt 0 \lt f(b)$"),
    ("$$\\sum_{i<n} [x_i]$$", r"$$\sum_{i\lt n} [x_i]$$"),
    (r"$\frac{a}{b}>c$", r"$\frac{a}{b}\gt c$"),
])
def test_formulas_in_math_spans_keep_brackets_and_write_comparisons_as_latex(text, expected):
    assert safe_text.inline(text) == expected


@pytest.mark.parametrize("text", [
    "$<script>alert(1)</script>$", "$<img src=x onerror=alert(1)>$",
    "$$<b>x</b>$$", "$[a](javascript:alert(1))$", "$![x](https://evil.example/p.png)$",
    "$![[secret note]]$", "$<https://evil.example/x>$",
    # A lone $ opens no span: what follows it is escaped as usual.
    "costs $5 <img src=x onerror=alert(1)> [a](javascript:alert(1))",
    "$5 and $10 <b>x</b> [a](javascript:alert(1))",
    r"\$<b>x</b>$ [a](javascript:alert(1))",
])
def test_math_spans_let_no_tag_or_link_through(text):
    line = safe_text.inline(text)
    html = MarkdownIt("commonmark", {"html": True}).render("- " + line)
    for forbidden in ("<script", "<img", "<b>", "<a ", "src=\"", "href=\""):
        assert forbidden not in html, (line, html)
    if "$5" in text or text.startswith("\\"):
        assert "\\<" in line and "\\[a]" in line


def test_a_math_span_renders_as_its_formula_in_obsidian_syntax():
    line = safe_text.inline("The closed interval $[0,1]$ and $x<y$ but not <b>this</b>")
    assert line == r"The closed interval $[0,1]$ and $x\lt y$ but not \<b>this\</b>"


@pytest.mark.parametrize("value", [".inf", "+12", "? x", "-.5", "0x1F", "1e3", "no", "Yes",
                                   "null", "~", "y", "12:30", "@home", "a: b", "tag #x",
                                   "[list]", "{map}", "*alias", "&anchor", "!tag", "%x",
                                   "`x`", "'quoted'", '"dq"', "- dash", ".5", "-", "",
                                   "2026-01-01", "Physics", "Computer Science", "Física"])
def test_front_matter_strings_stay_strings(value):
    note = render({**hostile_draft(), "summary": "S"}, title=value or "t", channel=value,
                  category=value, tags=[value, "ok"])
    front = yaml.safe_load(note.split("---\n")[1])
    assert front["category"] == value and isinstance(front["category"], str)
    assert front["tags"] == [value, "ok"]
    assert front["channel"] == value and front["title"] == (value or "t")


def test_plain_words_stay_plain_in_the_front_matter():
    note = render({**hostile_draft(), "summary": "S"}, category="Computer Science",
                  tags=["entropy", "heat-engines"])
    assert "category: Computer Science\n" in note and "tags: [entropy, heat-engines]\n" in note


@pytest.mark.parametrize("title,expected", [
    ("CON", "CON (note).md"), ("con.txt", "con (note).txt.md"), ("LPT1", "LPT1 (note).md"),
    ("nul", "nul (note).md"), ("COM9 ", "COM9 (note).md"), ("aux.", "aux (note).md"),
    ("Console", "Console.md"), ("Lecture...", "Lecture.md"), ("...hidden", "hidden.md"),
    ("a<b>c:d\"e/f\\g|h?i*j", "a b c d e f g h i j.md"),
    ("report\u202egpj.exe", "reportgpj.exe.md"), ("tab\there\x00\x1f", "tab here.md"),
    ("[[x]]#^", "x.md"), ("", "Untitled.md"),
])
def test_vault_file_names_are_safe_on_windows_macos_and_linux(title, expected):
    assert note_store.safe_filename(title) == expected


def test_long_file_names_fit_every_file_system():
    name = note_store.safe_filename("é" * 300)
    assert len(name.encode("utf-8")) <= 255 and name.endswith(".md")


def test_anki_cards_come_from_the_stored_draft_not_the_markdown(client, user):
    draft = hostile_draft()
    content = render(draft)
    note_store.save_note(user_id=user["user_id"], video_id="v-anki", title="Injected",
                         category="Physics", content=content,
                         draft={"youtube_video_id": "dQw4w9WgXcQ", "draft": draft,
                                "include_questions": True})
    body, data = fetch(client, user, "?format=anki")
    cards = [line.split("\t") for line in data.decode().splitlines()[4:]]
    assert body["card_count"] == 1 and len(cards) == 1
    front, back, _ = cards[0]
    assert front.startswith("What is entropy? &lt;img src=x onerror=&quot;alert(1)&quot;&gt;")
    assert "<img" not in front and "Planted" not in data.decode()
    assert back.startswith("Disorder. [click me](javascript:alert(1))<br><small>")
    assert list(export.draft_cards(None)) == []


def test_a_vault_index_names_hostile_categories_as_text(client, user):
    draft = {**hostile_draft(), "summary": "S"}
    note_store.save_note(user_id=user["user_id"], video_id="v-cat", title="Cat",
                         category="## <img src=x onerror=alert(1)>", content=render(draft))
    response = call(client, "GET", "/notes/export", token=user["id_token"])
    assert response.status_code == 200
