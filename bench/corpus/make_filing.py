#!/usr/bin/env python3
"""Assemble filing.json from the hand-written texts in filing_src/part*.py, and the
development set: filing_dev.json from filing_src/dev.py and offtopic_dev.json
from filing_src/offtopic_dev.py.
Texts marked style="auto" are normalised to YouTube auto-caption style
(lowercase, no punctuation except in-word apostrophes)."""
import json, re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "filing_src"))
import part1, part2, part3, part4, part5  # noqa: E402
import dev, offtopic_dev  # noqa: E402


def autocaption(text):
    t = text.lower().replace("—", " ").replace("–", " ")
    t = re.sub(r"(?<=\w)-(?=\w)", " ", t)
    t = re.sub(r"[^\w\s']", " ", t)
    t = re.sub(r"(?<!\w)'|'(?!\w)", " ", t)
    return " ".join(t.split())


def build(entries):
    items = []
    for e in entries:
        e = dict(e)
        if e["style"] == "auto":
            e["text"] = autocaption(e["text"])
        items.append(e)
    return items


def write(name, items):
    (HERE / name).write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main():
    items = build(e for part in (part1, part2, part3, part4, part5) for e in part.ENTRIES)
    write("filing.json", items)
    print(f"filing.json: {len(items)} texts")
    development = build(dev.ENTRIES)
    write("filing_dev.json", development)
    print(f"filing_dev.json: {len(development)} texts")
    # same shape as offtopic.json: one object per line
    off = [{"title": e["title"], "chapters": list(e["chapters"]), "text": e["text"]}
           for e in offtopic_dev.ENTRIES]
    (HERE / "offtopic_dev.json").write_text(
        "[\n" + ",\n".join(" " + json.dumps(e, ensure_ascii=False) for e in off) + "\n]\n", encoding="utf-8")
    print(f"offtopic_dev.json: {len(off)} texts")


if __name__ == "__main__":
    main()
