"""Untrusted text made safe for the note's Markdown (docs/DESIGN.md section 7).

Captions (the json3 parser keeps their HTML tags), titles, channel names and
model output never bring raw HTML, `javascript:`/`data:` links, remote images,
headings or callouts into a note. The renderer (chalicelib.notes.markdown) is
the one boundary: every outside string passes through `inline` or `block` here
before it becomes Markdown, and through `yaml_scalar` before it becomes front
matter. The links a note has (timestamps, [[wiki links]]) are added by our own
code after this, so untrusted text needs none of its own.

Escaping uses CommonMark backslash escapes, which Obsidian and every renderer
show as the plain character: `\\<img ...>` reads "<img ...>" and runs nothing.
"""
from __future__ import annotations

import re
import unicodedata

# A "<" that could open an HTML tag, comment, declaration or autolink, and a "["
# that could open a link, image, embed ([[x]], ![x](...)), footnote or reference
# definition; escaped, no outside text makes a link of any scheme. A character
# already escaped (an odd run of backslashes before it) is left as it is;
# backslashes are otherwise kept, so LaTeX ($\\frac{a}{b}$) still renders.
_OPENERS = re.compile(r"(?<!\\)((?:\\\\)*)(<(?=[A-Za-z/!?])|\[)")
# A LaTeX math span on one line, as Obsidian reads it: $$...$$, or $...$ whose opener
# is followed and whose closer is preceded by a non-space, the closer not followed by
# a digit, so "costs $5 and $10" opens none and an unclosed "$" opens nothing. An
# escaped dollar (\$) neither opens nor closes one.
_MATH = re.compile(r"(?<![\\$])\$\$(?!\$)((?:\\.|[^$\\])+?)\$\$(?!\$)"
                   r"|(?<![\\$])\$(?![\s$])((?:\\.|[^$\\])+?)(?<!\s)\$(?![\d$])")
# What opens a block when it starts a line: headings, quotes and callouts, thematic
# breaks and setext underlines, HTML blocks, fenced code, tables, Obsidian comments.
_BLOCK_START = re.compile(r"^\s{0,3}(#|>|<|```|~~~|\||%%)")
_RULE_LINE = re.compile(r"^\s{0,3}([-=*_+])(\s*\1)*\s*$")
_YAML_PLAIN = re.compile(r"^[^\W\d_][\w .()'/&+-]*[\w.)]$|^[^\W\d_]$")
_SPACES = "\t\r\n\u2028\u2029\x85"
_DROPPED = ("Cc", "Cf", "Cs", "Co", "Cn")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nil", "~"}


def clean(text: str) -> str:
    """NFC text without control or format characters (bidi overrides, zero-width
    marks, NUL): they hide or reorder what a reader sees. Tabs and newlines become
    spaces here; `block` keeps newlines."""
    text = unicodedata.normalize("NFC", str(text))
    return "".join(" " if ch in _SPACES else ch for ch in text
                   if ch in _SPACES or unicodedata.category(ch) not in _DROPPED)


def _neutralise(text: str) -> str:
    return _OPENERS.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


def _math(span: str) -> str:
    """A math span as LaTeX that no renderer reads as HTML or a link: < and > as \\lt
    and \\gt (a space after them only before a letter, so the span still ends on a
    non-space), brackets kept ([0,1] stays an interval) but never adjacent in a way
    that opens a link or embed: "](" and "[[" / "![" get a space, which math ignores."""
    span = re.sub(r"[<>]", lambda m: ("\\lt" if m.group() == "<" else "\\gt") + (
        " " if span[m.end():m.end() + 1].isalpha() else ""), span)
    span = re.sub(r"(?<=[!\[])\[", " [", span)
    return re.sub(r"\](?=\()", "] ", span)


def inline(text: str) -> str:
    """One line of untrusted text inside a line we build (a bullet, a heading's text,
    a callout's title): no newline, no HTML, no link, nothing that starts a block.
    Math spans ($...$, $$...$$) keep their LaTeX (see _math); the rest is escaped."""
    line = " ".join(clean(text).split())
    out, end = [], 0
    for match in _MATH.finditer(line):
        out += [_neutralise(line[end:match.start()]), _math(match.group())]
        end = match.end()
    line = "".join(out) + _neutralise(line[end:])
    # What follows our "- " or "# " could still start a nested block.
    if _BLOCK_START.match(line) or _RULE_LINE.match(line):
        line = "\\" + line
    return line


def block(text: str) -> str:
    """Untrusted prose of several lines (the summary): each line as `inline` would
    make it, so no line opens a heading, quote, callout, HTML block or rule."""
    lines = []
    for raw in re.split(r"\r\n|[\r\n\u2028\u2029\x85]", str(text)):
        lines.append(inline(raw))
    out = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", out)


def alias(text: str) -> str:
    """The shown text of a [[target|alias]] link: plain words, no brackets or pipes."""
    words = " ".join(clean(text).split())
    words = words.replace("|", "-").replace("[", "(").replace("]", ")")
    return _neutralise(words)


def yaml_string(value: str) -> str:
    """A double-quoted YAML scalar (JSON's string syntax is valid YAML)."""
    import json

    return json.dumps(clean(value), ensure_ascii=False)


def yaml_scalar(value: str) -> str:
    """Plain when every YAML reader reads it back as the same string, quoted
    otherwise: `.inf`, `+12`, `? x`, `no`, `1e3`, `null` stay strings."""
    value = clean(value)
    plain = bool(_YAML_PLAIN.match(value)) and value.casefold() not in _YAML_WORDS \
        and ": " not in value and " #" not in value
    return value if plain else yaml_string(value)
