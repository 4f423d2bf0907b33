#!/usr/bin/env python3
"""Validate the evaluation corpus: lectures/*.json, filing.json, offtopic.json and the
development set (filing_dev.json, offtopic_dev.json) and the held-out test set
(filing_test.json, offtopic_test.json)."""
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


FILING_KEYS = {"subject", "title", "chapters", "text", "style", "language"}
OFFTOPIC_KEYS = {"title", "chapters", "text"}


def load_list(path):
    try:
        items = json.loads(path.read_text(encoding="utf-8"))
    except Exception as e:  # noqa: BLE001
        err(f"{path.name} does not parse: {e}"); return []
    if not isinstance(items, list):
        err(f"{path.name}: not a list"); return []
    return items


def check_common(name, i, x, keys, words):
    """Keys, title, chapters and word count of one filing or off-topic entry."""
    if not isinstance(x, dict) or set(x) != keys:
        err(f"{name}[{i}]: keys {sorted(x) if isinstance(x, dict) else x!r}, need {sorted(keys)}"); return False
    if not isinstance(x.get("title"), str) or not x["title"]:
        err(f"{name}[{i}]: missing title")
    if not (isinstance(x.get("chapters"), list) and all(isinstance(c, str) and c for c in x["chapters"])):
        err(f"{name}[{i}]: chapters not a list of titles")
    if not isinstance(x.get("text"), str):
        err(f"{name}[{i}]: text not a string"); return False
    n = len(x["text"].split())
    lo, hi = words
    if not lo <= n <= hi:
        err(f"{name}[{i}] ({x.get('title')}): {n} words, need {lo}-{hi}")
    return True


def check_filing(path, min_en, min_auto, min_nonen, words):
    name = path.name
    items = load_list(path)
    per, auto, nonen = collections.Counter(), collections.Counter(), 0
    for i, x in enumerate(items):
        if not check_common(name, i, x, FILING_KEYS, words):
            continue
        if x.get("subject") not in SUBJECTS:
            err(f"{name}[{i}]: subject {x.get('subject')!r} not in taxonomy")
            continue
        if x.get("style") not in ("human", "auto"):
            err(f"{name}[{i}]: style {x.get('style')!r} not human/auto")
        if not (isinstance(x.get("language"), str) and re.match(r"^[a-z]{2}$", x["language"])):
            err(f"{name}[{i}]: language {x.get('language')!r} not a 2-letter code")
        if x.get("language", "en") == "en":
            per[x["subject"]] += 1
            if x.get("style") == "auto":
                auto[x["subject"]] += 1
        else:
            nonen += 1
        if x.get("style") == "auto" and (x["text"] != x["text"].lower() or re.search(r"[^\w\s']", x["text"])):
            err(f"{name}[{i}]: auto-style text has capitals/punctuation")
    for s in SUBJECTS:
        if per[s] < min_en:
            err(f"{name}: only {per[s]} English texts for {s}")
        if auto[s] < min_auto:
            err(f"{name}: only {auto[s]} auto-caption texts for {s}")
    if nonen < min_nonen:
        err(f"{name}: only {nonen} non-English texts")
    return items, per, auto, nonen


def check_offtopic(path, min_n, words):
    items = load_list(path)
    for i, x in enumerate(items):
        check_common(path.name, i, x, OFFTOPIC_KEYS, words)
    if len(items) < min_n:
        err(f"{path.name}: only {len(items)} off-topic texts, need >= {min_n}")
    return items


def check_titles(sets):
    """Titles unique within and across all filing and off-topic sets."""
    where = collections.defaultdict(list)
    for name, items in sets.items():
        for x in items:
            if isinstance(x, dict) and isinstance(x.get("title"), str):
                where[x["title"].strip().casefold()].append(name)
    for t, names in where.items():
        if len(names) > 1:
            err(f"duplicate title {t!r} in {', '.join(names)}")


def check_new_languages(name, earlier, held):
    """Non-English texts of a later set use language/subject pairs not in the earlier sets
    (earlier: {file name: items}); returns how many non-English texts use a new pair."""
    used = {}
    for other, items in earlier.items():
        for x in items:
            if isinstance(x, dict) and x.get("language", "en") != "en":
                used.setdefault((x.get("language"), x.get("subject")), other)
    new = 0
    for i, x in enumerate(held):
        if isinstance(x, dict) and x.get("language", "en") != "en":
            pair = (x.get("language"), x.get("subject"))
            if pair in used:
                err(f"{name}[{i}]: {pair[0]} {pair[1]} already in {used[pair]}")
            else:
                new += 1
    return new


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
    # calibration set
    items, per, auto, nonen = check_filing(HERE / "filing.json", 6, 2, 4, (80, 200))
    print(f"filing.json: {len(items)} texts, {(HERE / 'filing.json').stat().st_size} bytes; "
          f"English per subject min {min(per.values(), default=0)} (auto min {min(auto.values(), default=0)}); non-English {nonen}")
    off = check_offtopic(HERE / "offtopic.json", 8, (80, 200))
    print(f"offtopic.json: {len(off)} texts")
    # development set: written apart from calibration; the brief asked for 100-160 words
    h_items, h_per, h_auto, h_nonen = check_filing(HERE / "filing_dev.json", 3, 1, 4, (100, 160))
    print(f"filing_dev.json: {len(h_items)} texts; English per subject min {min(h_per.values(), default=0)} "
          f"(auto min {min(h_auto.values(), default=0)}); non-English {h_nonen}")
    h_off = check_offtopic(HERE / "offtopic_dev.json", 10, (100, 160))
    print(f"offtopic_dev.json: {len(h_off)} texts")
    check_new_languages("filing_dev.json", {"filing.json": items}, h_items)
    # held-out test set: the development set's rules, non-English pairs new to both earlier sets
    t_items, t_per, t_auto, t_nonen = check_filing(HERE / "filing_test.json", 3, 1, 4, (100, 160))
    print(f"filing_test.json: {len(t_items)} texts; English per subject min {min(t_per.values(), default=0)} "
          f"(auto min {min(t_auto.values(), default=0)}); non-English {t_nonen}")
    t_new = check_new_languages("filing_test.json", {"filing.json": items, "filing_dev.json": h_items}, t_items)
    if t_new < 4:
        err(f"filing_test.json: only {t_new} non-English texts in new language/subject pairs, need >= 4")
    t_off = check_offtopic(HERE / "offtopic_test.json", 10, (100, 160))
    print(f"offtopic_test.json: {len(t_off)} texts")
    check_titles({"filing.json": items, "offtopic.json": off,
                  "filing_dev.json": h_items, "offtopic_dev.json": h_off,
                  "filing_test.json": t_items, "offtopic_test.json": t_off})
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
