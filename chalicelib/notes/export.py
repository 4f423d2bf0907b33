"""Exports of a user's notes: an Obsidian vault (zip) or Anki cards (TSV).

GET /notes/export[?format=obsidian|anki]. The user's note records are read
through UserNotesIndex (a paged Query of the fields needed to plan file names),
then each note's Markdown is read from S3, rewritten and written to a temporary
file in /tmp, one note at a time: no more than one note's content is in memory
beyond the zip stream. The file is uploaded to exports/{user_id}/ (the bucket's
lifecycle expires them after a day) and handed out as a presigned GET.

This module builds the file; chalicelib.notes.export_jobs decides whether the
request builds it (`export_now`, a library of at most EXPORT_SYNC_MAX_NOTES notes)
or the worker does (`build`, into the export's own key).

The vault: one folder per category, one Markdown file per note named by its
title (note_store.safe_filename, made unique in the vault), an index note per category
listing its notes, and a root "Index" note listing the categories. A course's lectures
and its index note (docs/DESIGN.md section 14: the note record's `course`) make one
folder of their own, named by the course, instead of their categories'. Obsidian
resolves [[Name]] by file name, so every link is rewritten to name its file
([[File Name|Title]] when they differ); a link to a note that is no longer there
becomes plain text. Every [[link]] in the vault resolves to a file in it.

Anki: the review questions as "Basic" cards, tab-separated front/back with
#separator, #html, #tags column headers, tagged with the note's category. The
cards come from the draft stored with the note (note_store.read_draft), never from
re-parsing its Markdown: text inside a note cannot make cards of its own. A question
the draft marks unverified (`verified: false`: its quote was not found, or its answer
states a number or negation its quote does not) makes no card; in the note it stands
in the last callout, "Not found in the transcript", not among the review questions.
"""
from __future__ import annotations

import datetime
import html
import os
import re
import tempfile
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from chalicelib.core import aws, config, db
from chalicelib.notes import note_store, safe_text
from chalicelib.notes.markdown import clock, is_shown
from chalicelib.youtube.links import canonical_url

EXPORT_EXPIRES_IN = 900
FORMATS = ("obsidian", "anki")
VAULT_ROOT = "Study Buddy"
ROOT_INDEX = "Index"
_LINK = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")


@dataclass
class Entry:
    """One note in the export: its record fields and where it goes in the vault."""

    note_id: str
    title: str
    category: str
    user_id: str
    stem: str = ""
    folder: str = ""
    course: str = ""  # the course whose folder holds it ("": its category's)

    @property
    def group(self) -> str:
        """What names its folder: its course, or its category."""
        return self.course or self.category

    @property
    def path(self) -> str:
        return f"{VAULT_ROOT}/{self.folder}/{self.stem}.md"


CONTENT_TYPES = {"obsidian": "application/zip", "anki": "text/plain; charset=utf-8"}


def filename(chosen: str, day: str) -> str:
    """The file's name as the student gets it (day: YYYY-MM-DD)."""
    if chosen == "obsidian":
        return f"study-buddy-vault-{day}.zip"
    return f"study-buddy-anki-{day}.txt"


def today() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")


def export_now(user_id: str, chosen: str, entries: list[Entry]) -> dict[str, Any]:
    """Build the file of these notes, upload it and hand out a presigned GET:
    {url, expires_in, filename, note_count, format} (and card_count for Anki)."""
    day = today()
    name = filename(chosen, day)
    built = build(chosen, entries, f"exports/{user_id}/{day}-{uuid.uuid4().hex}-{name}")
    return {**presigned(built["key"], name, CONTENT_TYPES[chosen]), "note_count": len(entries),
            "format": chosen, **built["extra"]}


def build(chosen: str, entries: list[Entry], key: str) -> dict[str, Any]:
    """Write the vault (or the Anki file) in /tmp, one note at a time, and upload it to
    `key` (under exports/{user_id}/: the bucket expires them after a day). Returns
    {"key", "extra"} (extra: {"card_count"} for Anki). Building the same key again
    overwrites it: one file per key."""
    handle, path = tempfile.mkstemp(prefix="export-", suffix=".zip" if chosen == "obsidian"
                                    else ".txt", dir=_tmp_dir())
    os.close(handle)
    try:
        extra = write_vault(path, entries) if chosen == "obsidian" else write_anki(path, entries)
        aws.client("s3").upload_file(path, config.notes_bucket(), key, ExtraArgs={
            "ContentType": CONTENT_TYPES[chosen]})
    finally:
        os.unlink(path)
    return {"key": key, "extra": extra}


def presigned(key: str, name: str, content_type: str) -> dict[str, Any]:
    """{url, expires_in, filename}: a GET of the file for EXPORT_EXPIRES_IN seconds."""
    url = aws.client("s3").generate_presigned_url(
        "get_object", ExpiresIn=EXPORT_EXPIRES_IN,
        Params={"Bucket": config.notes_bucket(), "Key": key,
                "ResponseContentDisposition": f'attachment; filename="{name}"',
                "ResponseContentType": content_type})
    return {"url": url, "expires_in": EXPORT_EXPIRES_IN, "filename": name}


def _tmp_dir() -> str | None:
    return config.env("EXPORT_TMP_DIR")  # the system's (/tmp on Lambda) by default


def records(user_id: str) -> list[Entry]:
    """The user's notes, oldest first, without content or embeddings (UserNotesIndex)."""
    return list(_records(user_id))


def _records(user_id: str) -> Iterator[Entry]:
    for record in db.query_items(
            TableName=config.notes_table(), IndexName="UserNotesIndex",
            KeyConditionExpression="#u = :u", ScanIndexForward=True,
            ProjectionExpression="#i, #t, #c, #k",
            ExpressionAttributeNames={"#u": "user_id", "#i": "note_id", "#t": "title",
                                      "#c": "category", "#k": "course"},
            ExpressionAttributeValues=db.values(u=user_id)):
        if record:
            yield Entry(record["note_id"], record.get("title") or "Untitled",
                        record.get("category") or "General", user_id,
                        course=str(record.get("course") or ""))


def _unique(name: str, taken: set[str]) -> str:
    """name, or "name (2)"...: unique ignoring case (case-insensitive file systems)."""
    candidate, number = name, 1
    while candidate.casefold() in taken:
        number += 1
        candidate = f"{name} ({number})"
    taken.add(candidate.casefold())
    return candidate


def plan(entries: list[Entry]) -> dict[str, dict[str, Any]]:
    """Give every note a file name unique in the vault and a folder; returns the
    index notes of the folders ({category or course: {"stem", "folder"}})."""
    stems: set[str] = {ROOT_INDEX.casefold()}
    folders: dict[str, str] = {}
    taken_folders: set[str] = set()
    for entry in entries:
        if entry.group not in folders:
            folders[entry.group] = _unique(
                note_store.safe_filename(entry.group, "")[:80].strip(" .") or "General",
                taken_folders)
        entry.folder = folders[entry.group]
    for entry in entries:
        entry.stem = _unique(note_store.safe_filename(entry.title, ""), stems)
    indexes = {}
    for category, folder in sorted(folders.items(), key=lambda kv: kv[0].casefold()):
        indexes[category] = {"folder": folder,
                             "stem": _unique(f"{folder} Index", stems)}
    return indexes


class Resolver:
    """Rewrites [[links]] so each names a file of the vault."""

    def __init__(self, entries: list[Entry]) -> None:
        self.by_title = {entry.title.casefold(): entry.stem for entry in entries}
        self.by_name: dict[str, str] = {}
        for entry in entries:  # the file name a title gives, then the vault's own
            self.by_name.setdefault(note_store.safe_filename(entry.title, "").casefold(),
                                    entry.stem)
        for entry in entries:
            self.by_name.setdefault(entry.stem.casefold(), entry.stem)

    def rewrite(self, text: str) -> str:
        return _LINK.sub(self._replace, text)

    def resolve(self, target: str, alias: str = "") -> str | None:
        """The vault file a link means. Links name a file ([[File Name|Title]]); two
        titles can share a file name, so the shown title decides first."""
        for key, table in ((alias, self.by_title), (target, self.by_title),
                           (target, self.by_name)):
            stem = table.get(key.strip().casefold()) if key else None
            if stem is not None:
                return stem
        return None

    def _replace(self, match: re.Match[str]) -> str:
        embed, inner = match.group(1), match.group(2)
        target, _, alias = inner.partition("|")
        name, hash_mark, heading = target.partition("#")
        stem = self.resolve(name, alias)
        shown = alias or name.strip()
        if stem is None:
            return shown  # the note is gone: keep the words, drop the link
        suffix = f"#{heading}" if hash_mark else ""
        if shown == stem and not suffix:
            return f"{embed}[[{stem}]]"
        return f"{embed}[[{stem}{suffix}|{shown}]]"


def write_vault(path: str, entries: list[Entry]) -> dict[str, Any]:
    indexes = plan(entries)
    resolver = Resolver(entries)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as vault:
        for entry in entries:
            content = note_store.read_content({"user_id": entry.user_id, "note_id": entry.note_id})
            vault.writestr(entry.path, resolver.rewrite(content))
            del content
        for category, index in indexes.items():
            members = [e for e in entries if e.group == category]
            lines = [f"# {safe_text.inline(category)}", "", f"{len(members)} note"
                     f"{'' if len(members) == 1 else 's'}.", ""]
            lines += [f"- {_link(e.stem, e.title)}" for e in
                      sorted(members, key=lambda e: e.title.casefold())]
            vault.writestr(f"{VAULT_ROOT}/{index['folder']}/{index['stem']}.md",
                           "\n".join(lines) + "\n")
        lines = ["# Study Buddy", "", "Every category and course of your notes:", ""]
        lines += [f"- {_link(index['stem'], category)}" for category, index in indexes.items()]
        if not indexes:
            lines.append("No notes yet.")
        vault.writestr(f"{VAULT_ROOT}/{ROOT_INDEX}.md", "\n".join(lines) + "\n")
    return {}


def _link(stem: str, shown: str) -> str:
    if shown == stem:
        return f"[[{stem}]]"
    return f"[[{stem}|{safe_text.alias(shown)}]]"


# --- Anki ------------------------------------------------------------------------

def anki_tag(category: str) -> str:
    """Anki tags are space-separated: "Computer Science" -> "Computer_Science"."""
    return re.sub(r"\s+", "_", category.strip()) or "General"


def draft_cards(stored: dict[str, Any] | None) -> Iterator[tuple[str, str]]:
    """(front, back) HTML of each review question of a stored draft that the note shows
    as checked (markdown.is_shown: not unverified): text escaped, the timestamp a
    link to that second of the video."""
    if not stored or not stored.get("include_questions", True):
        return
    draft = stored.get("draft")
    if not isinstance(draft, dict):
        return
    video_id = str(stored.get("youtube_video_id") or "")
    for question in draft.get("review_questions") or []:
        if not isinstance(question, dict) or not is_shown(question):
            continue  # an unverified question is never a card
        front = _plain_field(question.get("question"))
        timestamp = question.get("timestamp")
        if video_id and isinstance(timestamp, (int, float)) and not isinstance(timestamp, bool):
            url = f"{canonical_url(video_id)}&t={int(timestamp)}s"
            front += f' (<a href="{html.escape(url)}">{clock(timestamp)}</a>)'
        answer = _plain_field(question.get("answer"))
        if front and answer:
            yield front, answer


def _plain_field(value: object) -> str:
    return html.escape(" ".join(safe_text.clean(str(value or "")).split()))


def write_anki(path: str, entries: list[Entry]) -> dict[str, Any]:
    cards = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write("#separator:tab\n#html:true\n#notetype:Basic\n#tags column:3\n")
        for entry in entries:
            stored = note_store.read_draft({"user_id": entry.user_id, "note_id": entry.note_id})
            for front, answer in draft_cards(stored):
                back = answer + f"<br><small>{_plain_field(entry.title)}</small>"
                out.write(f"{front}\t{back}\t{anki_tag(entry.category)}\n")
                cards += 1
            del stored
    return {"card_count": cards}
