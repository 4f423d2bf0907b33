#!/usr/bin/env python3
"""Assemble filing.json from the hand-written texts in filing_src/part*.py.
Texts marked style="auto" are normalised to YouTube auto-caption style
(lowercase, no punctuation except in-word apostrophes)."""
import json, re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "filing_src"))
import part1, part2, part3, part4, part5  # noqa: E402


def autocaption(text):
    t = text.lower().replace("—", " ").replace("–", " ")
    t = re.sub(r"(?<=\w)-(?=\w)", " ", t)
    t = re.sub(r"[^\w\s']", " ", t)
    t = re.sub(r"(?<!\w)'|'(?!\w)", " ", t)
    return " ".join(t.split())


def main():
    items = []
    for part in (part1, part2, part3, part4, part5):
        for e in part.ENTRIES:
            e = dict(e)
            if e["style"] == "auto":
                e["text"] = autocaption(e["text"])
            items.append(e)
    (HERE / "filing.json").write_text(json.dumps(items, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"filing.json: {len(items)} texts")


if __name__ == "__main__":
    main()
