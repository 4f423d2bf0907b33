#!/usr/bin/env python3
"""Validate the evaluation corpus: lectures/*.json and filing.json."""
import collections, json, math, re, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBJECTS = ["Physics", "Chemistry", "Biology", "Earth Science", "Astronomy", "Mathematics",
            "Statistics", "Computer Science", "Engineering", "Medicine", "Psychology", "Economics",
            "Business", "Political Science", "Sociology", "History", "Philosophy", "Literature",
            "Languages", "Art", "Music", "Law"]
ID_RE = re.compile(r"^qb[A-Za-z0-9_-]{9}$")
errors, warnings = [], []


def err(msg):
    errors.append(msg)


def check_lecture(path, seen_ids):
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except Exception as e:  # noqa: BLE001
        err(f"{path.name}: does not parse: {e}"); return None
    for k, t in [("video_id", str), ("title", str), ("channel", str), ("duration_seconds", int),
                 ("language", str), ("is_generated", bool), ("chapters", list), ("segments", list),
                 ("subject", str), ("key_facts", list)]:
        if not isinstance(d.get(k), t):
            err(f"{path.name}: key {k!r} missing or not {t.__name__}")
    vid = d.get("video_id", "")
    if not ID_RE.match(vid) or len(vid) != 11:
        err(f"{path.name}: bad video_id {vid!r}")
    if vid in seen_ids:
        err(f"{path.name}: duplicate video_id {vid}")
    seen_ids.add(vid)
    if d.get("subject") not in SUBJECTS:
        err(f"{path.name}: subject {d.get('subject')!r} not in taxonomy")
    segs = d["segments"]
    gen = d["is_generated"]
    lo, hi = (2.0, 3.31) if gen else (2.0, 8.0)
    prev_end = 0.0
    for i, s in enumerate(segs):
        if not (isinstance(s.get("text"), str) and s["text"].strip()):
            err(f"{path.name}: segment {i} empty text")
        if i and not s["start"] > segs[i - 1]["start"]:
            err(f"{path.name}: segment {i} start not increasing")
        if abs(s["start"] - prev_end) > 0.011:
            err(f"{path.name}: segment {i} not contiguous ({s['start']} vs {prev_end:.2f})")
        if not lo <= s["duration"] <= hi:
            err(f"{path.name}: segment {i} duration {s['duration']} outside [{lo},{hi}]")
        prev_end = s["start"] + s["duration"]
        if gen:
            n = len(s["text"].split())
            if not 5 <= n <= 10:
                err(f"{path.name}: auto segment {i} has {n} words")
            if s["text"] != s["text"].lower() or re.search(r"[^\w\s']", s["text"]):
                err(f"{path.name}: auto segment {i} has capitals/punctuation: {s['text']!r}")
    if d["duration_seconds"] != math.ceil(prev_end - 1e-9):
        err(f"{path.name}: duration_seconds {d['duration_seconds']} != ceil(last end {prev_end:.2f})")
    ch = d["chapters"]
    for i, c in enumerate(ch):
        if not (isinstance(c.get("title"), str) and isinstance(c.get("start"), float)):
            err(f"{path.name}: chapter {i} malformed")
        if i and not c["start"] > ch[i - 1]["start"]:
            err(f"{path.name}: chapter {i} start not increasing")
        if c["start"] >= d["duration_seconds"]:
            err(f"{path.name}: chapter {i} starts after the end")
    if ch and ch[0]["start"] != 0.0:
        err(f"{path.name}: first chapter does not start at 0")
    text = " ".join(s["text"] for s in segs).lower()
    kf = d["key_facts"]
    if not 8 <= len(kf) <= 15:
        err(f"{path.name}: {len(kf)} key facts (need 8-15)")
    for f in kf:
        phrases = f.get("any_of", [])
        if not (isinstance(f.get("fact"), str) and 1 <= len(phrases) <= 3):
            err(f"{path.name}: malformed key fact {f}")
        for p in phrases:
            if p != p.lower():
                err(f"{path.name}: any_of phrase not lowercase: {p!r}")
            if p.lower() not in text:
                err(f"{path.name}: any_of phrase {p!r} not found in transcript ({f['fact']})")
    # diversity: no sentence-sized segment text repeated more than twice
    rep = [t for t, n in collections.Counter(s["text"] for s in segs).items()
           if n > 2 and len(t.split()) >= 6]
    if rep:
        err(f"{path.name}: repeated segments: {rep[:3]}")
    return d


def check_filing(path):
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except Exception as e:  # noqa: BLE001
        err(f"filing.json does not parse: {e}"); return []
    per, auto, nonen = collections.Counter(), collections.Counter(), 0
    titles = collections.Counter(x.get("title") for x in items)
    for t, n in titles.items():
        if n > 1:
            err(f"filing.json: duplicate title {t!r}")
    for i, x in enumerate(items):
        if x.get("subject") not in SUBJECTS:
            err(f"filing.json[{i}]: subject {x.get('subject')!r} not in taxonomy")
        if not isinstance(x.get("title"), str) or not x["title"]:
            err(f"filing.json[{i}]: missing title")
        if not isinstance(x.get("chapters", []), list):
            err(f"filing.json[{i}]: chapters not a list")
        n = len(x.get("text", "").split())
        if not 80 <= n <= 200:
            err(f"filing.json[{i}] ({x.get('title')}): {n} words, need 80-200")
        if x.get("language", "en") == "en":
            per[x["subject"]] += 1
            if x.get("style") == "auto":
                auto[x["subject"]] += 1
        else:
            nonen += 1
        if x.get("style") == "auto" and (x["text"] != x["text"].lower() or re.search(r"[^\w\s']", x["text"])):
            err(f"filing.json[{i}]: auto-style text has capitals/punctuation")
    for s in SUBJECTS:
        if per[s] < 6:
            err(f"filing.json: only {per[s]} English texts for {s}")
        if auto[s] < 2:
            err(f"filing.json: only {auto[s]} auto-caption texts for {s}")
    if nonen < 4:
        err(f"filing.json: only {nonen} non-English texts")
    return items, per, auto, nonen


def main():
    seen = set()
    files = sorted((HERE / "lectures").glob("*.json"))
    print(f"{'file':34s} {'bytes':>8s} {'segs':>5s} {'dur(s)':>7s} {'mm:ss':>6s} lang gen  chap facts subject")
    docs = {}
    for p in files:
        d = check_lecture(p, seen)
        if d:
            docs[p.stem] = d
            print(f"{p.name:34s} {p.stat().st_size:8d} {len(d['segments']):5d} {d['duration_seconds']:7d} "
                  f"{d['duration_seconds']//60:3d}:{d['duration_seconds']%60:02d} {d['language']:4s} "
                  f"{str(d['is_generated'])[0]:4s} {len(d['chapters']):4d} {len(d['key_facts']):5d} {d['subject']}")
    # required mix
    if len(docs) < 8:
        err(f"only {len(docs)} lectures")
    need = {
        "10-min maths": lambda d: d["subject"] == "Mathematics" and 540 <= d["duration_seconds"] <= 660,
        "~25-min CS with 5-6 chapters": lambda d: d["subject"] == "Computer Science" and 1350 <= d["duration_seconds"] <= 1650 and 5 <= len(d["chapters"]) <= 6,
        "~40-min programming lecture with logistics": lambda d: 2200 <= d["duration_seconds"] <= 2600 and "due" in " ".join(s["text"] for s in d["segments"][:15]).lower() and "__init__" in " ".join(s["text"] for s in d["segments"]),
        "~60-min philosophy >=600 segs + sponsor": lambda d: d["subject"] == "Philosophy" and d["duration_seconds"] >= 3300 and len(d["segments"]) >= 600 and "sponsor" in " ".join(s["text"] for s in d["segments"]).lower(),
        "German ~10 min": lambda d: d["language"] == "de" and 540 <= d["duration_seconds"] <= 660,
        "Spanish/French ~8 min": lambda d: d["language"] in ("es", "fr") and 420 <= d["duration_seconds"] <= 540,
        "auto-caption ~15 min History/Economics": lambda d: d["is_generated"] and d["subject"] in ("History", "Economics") and 780 <= d["duration_seconds"] <= 960,
        "4-min Chemistry": lambda d: d["subject"] == "Chemistry" and 200 <= d["duration_seconds"] <= 280,
    }
    for name, pred in need.items():
        hits = [k for k, d in docs.items() if pred(d)]
        print(f"  mix: {name:45s} -> {', '.join(hits) or 'MISSING'}")
        if not hits:
            err(f"required lecture missing: {name}")
    items, per, auto, nonen = check_filing(HERE / "filing.json")
    print(f"filing.json: {len(items)} texts, {(HERE / 'filing.json').stat().st_size} bytes; "
          f"English per subject min {min(per.values())} (auto min {min(auto.values())}); non-English {nonen}")
    for w in warnings:
        print("WARNING:", w)
    if errors:
        print(f"FAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  -", e)
        sys.exit(1)
    print("OK: all checks passed")


if __name__ == "__main__":
    main()
