"""[[Wiki links]] in a note's text to the user's other notes (Obsidian style)."""
from __future__ import annotations

import re
from collections.abc import Sequence

from chalicelib.notes import markdown

MAX_MENTION_LINKS = 10
MIN_LINKED_TITLE = 4  # shorter titles ("AI") would link every other sentence

# Spans never linked inside: inline code, wiki links, Markdown links and images,
# callout markers, HTML tags and bare URLs.
_PROTECTED = re.compile(r"`[^`\n]*`|\[\[[^\]\n]*\]\]|!?\[[^\]\n]*\]\([^)\n]*\)|\[![^\]\n]*\]"
                        r"|<[^>\n]+>|https?://\S+")
_WORD = re.compile(r"\w+")


def link_mentions(content: str, titles: Sequence[str], *, own_title: str = "",
                  limit: int = MAX_MENTION_LINKS) -> tuple[str, list[str]]:
    """Link the first mention of each title (whole words, any case) in the note's text:
    never in the front matter, headings, code, or existing links; at most `limit`.
    Longer titles win where titles overlap. Returns the text and the titles linked."""
    buckets: dict[str, list[str]] = {}
    own = own_title.casefold()
    for title in sorted(set(titles), key=len, reverse=True):
        words = _WORD.findall(title)
        if len(title) < MIN_LINKED_TITLE or not words or title.casefold() == own \
                or not title[0].isalnum() or title.isdigit():
            continue
        buckets.setdefault(words[0].lower(), []).append(title)
    if not buckets or limit <= 0:
        return content, []
    linked: list[str] = []
    done: set[str] = set()
    lines = content.split("\n")
    start = 0
    if lines and lines[0].strip() == "---":
        start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"),
                     len(lines))
    fence = False
    for number in range(start, len(lines)):
        line = lines[number]
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            fence = not fence
            continue
        if fence or stripped.startswith("#") or line.startswith(("    ", "\t")):
            continue
        lines[number] = _link_line(line, buckets, done, linked, limit)
        if len(linked) >= limit:
            break
    return "\n".join(lines), linked


def _link_line(line: str, buckets: dict[str, list[str]], done: set[str], linked: list[str],
               limit: int) -> str:
    out, position = [], 0
    for protected in [*_PROTECTED.finditer(line), None]:
        end = protected.start() if protected else len(line)
        out.append(_link_text(line[position:end], buckets, done, linked, limit))
        if protected:
            out.append(protected.group())
            position = protected.end()
    return "".join(out)


def _link_text(text: str, buckets: dict[str, list[str]], done: set[str], linked: list[str],
               limit: int) -> str:
    out, position = [], 0
    for word in _WORD.finditer(text):
        if word.start() < position or len(linked) >= limit:
            continue
        for title in buckets.get(word.group().lower(), ()):
            end = word.start() + len(title)
            if title.casefold() in done or text[word.start():end].lower() != title.lower() \
                    or (end < len(text) and (text[end].isalnum() or text[end] == "_")):
                continue
            out.append(text[position:word.start()])
            out.append(markdown.wikilink(title, text[word.start():end]))
            position = end
            done.add(title.casefold())
            linked.append(title)
            break
    out.append(text[position:])
    return "".join(out)
