#!/usr/bin/env python3
"""Build the benchmark lecture transcripts (transcript-cache JSON) from the
hand-written scripts in src/*.txt.

Source format (src/<stem>.txt):
  * a line starting with "## " starts a chapter (its start = start of the next segment)
  * blank lines separate paragraphs (a slightly longer pause is added at the end)
  * everything else is the spoken text, written by the corpus authors.

Human-caption lectures are split into sentence-based caption segments of at most
~15 words (breaking at commas where possible), each 2-8 s long, contiguous.
Auto-caption lectures are lowercased, stripped of punctuation and cut into
5-9 word segments of 2-3.2 s, like YouTube's automatic captions.
The speaking rate is solved so the total length lands near the target duration.
"""
import json, math, random, re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
OUT = HERE / "lectures"

from lecture_meta import LECTURES  # metadata + key facts


def read_source(stem):
    """Return list of (chapter_title_or_None, [paragraph strings])."""
    blocks, chapter, para, paras = [], None, [], []
    started = False
    for line in (SRC / f"{stem}.txt").read_text(encoding="utf-8").splitlines():
        s = line.strip()
        if s.startswith("## "):
            if para:
                paras.append(" ".join(para)); para = []
            if paras or started:
                blocks.append((chapter, paras))
            chapter, paras, started = s[3:].strip(), [], True
        elif not s:
            if para:
                paras.append(" ".join(para)); para = []
        else:
            para.append(s)
    if para:
        paras.append(" ".join(para))
    blocks.append((chapter, paras))
    return [b for b in blocks if b[1]]


SENT_RE = re.compile(r"(?<!\b[A-Z]\.)(?<=[.?!…])\s+(?=[\"'¿¡A-ZÄÖÜÉÁÍÓÚÑa-z0-9_(])")


def sentences(paragraph):
    return [s.strip() for s in SENT_RE.split(paragraph) if s.strip()]


def chunk_sentence(words, max_w=15):
    if len(words) <= max_w:
        return [words]
    chunks, cur = [], []
    for w in words:
        cur.append(w)
        if (len(cur) >= 6 and w[-1] in ",;:" and len(cur) <= max_w) or len(cur) >= max_w:
            chunks.append(cur); cur = []
    if cur:
        if len(cur) < 4 and chunks:
            chunks[-1].extend(cur)
        else:
            chunks.append(cur)
    return chunks


def human_units(blocks):
    """-> list of (chapter_or_None, words, para_end) caption units."""
    units = []
    for chapter, paras in blocks:
        first = True
        for p in paras:
            pending = []
            sents = sentences(p)
            for si, s in enumerate(sents):
                for ch in chunk_sentence(s.split()):
                    if pending and len(pending) + len(ch) <= 15 and (len(pending) < 7 or len(ch) < 4):
                        pending = pending + ch
                        continue
                    if pending:
                        units.append([chapter if first else None, pending, False]); first = False
                    pending = ch
            if pending:
                units.append([chapter if first else None, pending, True]); first = False
    return units


def auto_units(blocks, rng):
    units = []
    for chapter, paras in blocks:
        first = True
        text = " ".join(paras).lower()
        text = text.replace("—", " ").replace("–", " ")
        text = re.sub(r"(?<=\w)-(?=\w)", " ", text)
        text = re.sub(r"[^\w\s']", " ", text)
        text = re.sub(r"(?<!\w)'|'(?!\w)", " ", text)
        words = text.split()
        i = 0
        while i < len(words):
            n = rng.choice([5, 6, 6, 7, 7, 7, 8, 8, 9, 10])
            if len(words) - i - n < 4:
                n = len(words) - i
            units.append([chapter if first else None, words[i:i + n], False]); first = False
            i += n
    return units


def timings(units, rate, generated, rng):
    out = []
    for _, words, para_end in units:
        n = len(words)
        if generated:
            d = n / rate + rng.uniform(-0.15, 0.15)
            d = max(2.0, min(3.3, d))
        else:
            d = n / rate + 0.3 + (0.7 if para_end else 0.0)
            d = max(2.0, min(8.0, d))
        out.append(d)
    return out


def build(meta):
    rng = random.Random(meta["video_id"])
    blocks = read_source(meta["stem"])
    generated = meta.get("is_generated", False)
    units = auto_units(blocks, rng) if generated else human_units(blocks)
    target = meta["target_seconds"]
    lo, hi = (2.6, 4.2) if generated else (1.7, 3.2)
    for _ in range(40):  # bisection on speaking rate (words per second)
        mid = (lo + hi) / 2
        total = sum(timings(units, mid, generated, random.Random(1)))
        if total > target:
            lo = mid
        else:
            hi = mid
    rate = (lo + hi) / 2
    durs = timings(units, rate, generated, random.Random(1))
    t, segs, chapters = 0.0, [], []
    for (chapter, words, _), d in zip(units, durs):
        start = round(t, 2)
        if chapter is not None:
            chapters.append({"title": chapter, "start": float(start)})
        segs.append({"text": " ".join(words), "start": start, "duration": round(d, 2)})
        t = start + round(d, 2)
    end = segs[-1]["start"] + segs[-1]["duration"]
    doc = {
        "video_id": meta["video_id"], "title": meta["title"], "channel": meta["channel"],
        "duration_seconds": int(math.ceil(end - 1e-9)), "language": meta["language"],
        "is_generated": generated,
        "chapters": chapters if meta.get("chapters", False) else [],
        "segments": segs, "subject": meta["subject"], "key_facts": meta["key_facts"],
    }
    path = OUT / f"{meta['stem']}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    nwords = sum(len(s["text"].split()) for s in segs)
    print(f"{path.name:34s} segs={len(segs):4d} words={nwords:5d} dur={doc['duration_seconds']:5d}s "
          f"rate={rate:.2f} w/s chapters={len(doc['chapters'])}")


if __name__ == "__main__":
    OUT.mkdir(exist_ok=True)
    only = set(sys.argv[1:])
    sys.path.insert(0, str(HERE))
    for m in LECTURES:
        if not only or m["stem"] in only:
            build(m)
