#!/usr/bin/env python3
"""Assemble filing.json from the hand-written texts in filing_src/part*.py, and the
development set: filing_dev.json from filing_src/dev.py and offtopic_dev.json
from filing_src/offtopic_dev.py, and the held-out test set: filing_test.json from
filing_src/test_set.py and offtopic_test.json from filing_src/offtopic_test_set.py.
Texts marked style="auto" are normalised to YouTube auto-caption style
(lowercase, no punctuation except in-word apostrophes)."""
import json, re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "filing_src"))
import part1, part2, part3, part4, part5  # noqa: E402
import dev, offtopic_dev  # noqa: E402
import test_set, offtopic_test_set  # noqa: E402


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


def write_offtopic(name, entries):
    """Same shape as offtopic.json: one object per line."""
    off = [{"title": e["title"], "chapters": list(e["chapters"]), "text": e["text"]} for e in entries]
    (HERE / name).write_text(
        "[\n" + ",\n".join(" " + json.dumps(e, ensure_ascii=False) for e in off) + "\n]\n", encoding="utf-8")
    return off


def main():
    items = build(e for part in (part1, part2, part3, part4, part5) for e in part.ENTRIES)
    write("filing.json", items)
    print(f"filing.json: {len(items)} texts")
    development = build(dev.ENTRIES)
    write("filing_dev.json", development)
    print(f"filing_dev.json: {len(development)} texts")
    off = write_offtopic("offtopic_dev.json", offtopic_dev.ENTRIES)
    print(f"offtopic_dev.json: {len(off)} texts")
    # held-out test set: built the same way, never used to tune anything
    test = build(test_set.ENTRIES)
    write("filing_test.json", test)
    print(f"filing_test.json: {len(test)} texts")
    off = write_offtopic("offtopic_test.json", offtopic_test_set.ENTRIES)
    print(f"offtopic_test.json: {len(off)} texts")


if __name__ == "__main__":
    main()
