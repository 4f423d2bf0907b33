"""Note records (DynamoDB) and note files (S3): the read side, saving and deletion.

Content lives in S3 at notes/{user_id}/{note_id}.md; the record holds what
lists need, and the note's embedding (a compact Binary, see embeddings.pack).
Lists are Queries on UserNotesIndex, or on UserCategoryIndex when filtered by
category, so a filter never reads the user's whole note set.

Each user's note count per category lives in one small item of the notes table
(note_id "categories#{user_id}": no user_id attribute, so no index sees it),
changed in the same transaction as the note it counts, so GET /categories is
one GetItem.
"""
from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from typing import Any, cast
from urllib.parse import quote

from chalicelib.core import aws, config, db
from chalicelib.core.errors import NotFoundError
from chalicelib.knowledge.library import RelatedNote
from chalicelib.notes.records import Note, NoteKey

DOWNLOAD_EXPIRES_IN = 900
MAX_CATEGORY_LENGTH = 100
MAX_FILENAME_LENGTH = 120
MAX_FILENAME_BYTES = 200  # 255 on most file systems, with room for " (2)" and ".md"
# Windows device names, reserved whatever follows a dot ("con.md", "LPT1.txt").
_DEVICE_NAME = re.compile(r"^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|"
                          r"lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$)(\s*\..*)?$",
                          re.IGNORECASE)
PUBLIC_FIELDS = ("note_id", "video_id", "title", "category", "tags", "related",
                 "content_length", "created_at", "updated_at")


def object_key(user_id: str, note_id: str) -> str:
    return f"notes/{user_id}/{note_id}.md"


def draft_key(user_id: str, note_id: str) -> str:
    """The draft the note was rendered from (the Anki export reads it, not the Markdown)."""
    return f"notes/{user_id}/{note_id}.json"


def files_prefix(user_id: str, note_id: str) -> str:
    """Every file of a note starts so: the note, its draft, an attempt's staged copies."""
    return f"notes/{user_id}/{note_id}."


def _staged_key(user_id: str, note_id: str, attempt: str, extension: str) -> str:
    return f"notes/{user_id}/{note_id}.{attempt}{extension}"


def category_key(user_id: str, category: str) -> str:
    return f"{user_id}#{category}"


def counts_key(user_id: str) -> str:
    """The note_id of the user's category-count item (no real note id has a '#')."""
    return f"categories#{user_id}"


def _count_names(category: str) -> tuple[str, str]:
    """Attribute names for a category's count and display name (hashed: any text)."""
    digest = hashlib.sha256(category.encode()).hexdigest()[:24]
    return f"c_{digest}", f"n_{digest}"


def count_update(user_id: str, changes: dict[str, int]) -> dict[str, Any] | None:
    """The transaction item that moves the user's category counts by `changes`."""
    changes = {category: delta for category, delta in changes.items() if delta}
    if not changes:
        return None
    adds: list[str] = []
    sets: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    for i, (category, delta) in enumerate(sorted(changes.items())):
        count_name, label_name = _count_names(category)
        names[f"#c{i}"], names[f"#n{i}"] = count_name, label_name
        adds.append(f"#c{i} :d{i}")
        sets.append(f"#n{i} = :n{i}")
        values[f"d{i}"], values[f"n{i}"] = delta, category
    return {"Update": {
        "TableName": config.notes_table(), "Key": db.to_item({"note_id": counts_key(user_id)}),
        "UpdateExpression": "SET " + ", ".join(sets) + " ADD " + ", ".join(adds),
        "ExpressionAttributeNames": names, "ExpressionAttributeValues": db.values(**values),
    }}


def _forget_empty(user_id: str, categories: Sequence[str]) -> None:
    """Drop categories whose count reached 0 (best effort; zeros are never listed)."""
    for category in categories:
        count_name, label_name = _count_names(category)
        try:
            aws.client("dynamodb").update_item(
                TableName=config.notes_table(),
                Key=db.to_item({"note_id": counts_key(user_id)}),
                UpdateExpression="REMOVE #c, #n", ConditionExpression="#c <= :zero",
                ExpressionAttributeNames={"#c": count_name, "#n": label_name},
                ExpressionAttributeValues=db.values(zero=0))
        except Exception as exc:  # a note came back meanwhile: keep it
            if not aws.is_error(exc, aws.CONDITION_FAILED):
                raise


def categories(user_id: str) -> dict[str, Any]:
    """The user's categories with their note counts, by name: one GetItem."""
    item = db.get(config.notes_table(), {"note_id": counts_key(user_id)}, consistent=True) \
        or {}
    found: list[dict[str, Any]] = []
    for key, value in item.items():
        if key.startswith("c_") and isinstance(value, int) and value > 0:
            name = item.get("n_" + key[2:])
            if isinstance(name, str):
                found.append({"name": name, "note_count": value})
    found.sort(key=lambda c: (c["name"].casefold(), c["name"]))
    return {"categories": found, "count": len(found)}


def title_key(user_id: str, title: str) -> str:
    return f"{user_id}#{title.casefold()}"


def safe_filename(title: str, extension: str = ".md") -> str:
    """A file name that every OS and Obsidian accept, derived from the title.

    Windows: no reserved characters, no trailing dot or space, no device name
    (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension); macOS and Linux: no
    leading dot (hidden), at most MAX_FILENAME_BYTES of UTF-8; everywhere: no control
    or format characters (right-to-left overrides disguise an extension)."""
    name = unicodedata.normalize("NFC", title)
    name = "".join(" " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch
                   for ch in name if unicodedata.category(ch) not in ("Cf", "Cs", "Co", "Cn"))
    name = re.sub(r'[\\/:*?"<>|#^\[\]]', " ", name)
    name = re.sub(r"\s+", " ", name).strip(" .")[:MAX_FILENAME_LENGTH]
    while len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        name = name[:-1]
    name = name.strip(" .") or "Untitled"
    if _DEVICE_NAME.match(name):  # Windows reads the name up to its first dot
        head, dot, rest = name.partition(".")
        name = f"{head.rstrip()} (note){dot}{rest}"
    return name + extension


def unique_title(user_id: str, title: str, note_id: str | None = None) -> str:
    """The title, or with a numbered suffix when the user has another note of that name."""
    candidate, number = title, 1
    while _title_taken(user_id, candidate, note_id):
        number += 1
        candidate = f"{title} ({number})"
    return candidate


def _title_taken(user_id: str, title: str, note_id: str | None) -> bool:
    response = aws.client("dynamodb").query(
        TableName=config.notes_table(), IndexName="UserTitleIndex",
        KeyConditionExpression="user_title = :t", ExpressionAttributeValues=db.values(
            t=title_key(user_id, title)))
    return any(db.from_item(item)["note_id"] != note_id for item in response.get("Items", []))


def save_note(
    *,
    user_id: str,
    video_id: str,
    title: str,
    category: str,
    content: str,
    tags: Sequence[str] = (),
    related: Sequence[RelatedNote] = (),
    embedding: Any = None,
    note_id: str | None = None,
    extra: Sequence[dict[str, Any]] = (),
    draft: dict[str, Any] | None = None,
    attempt: str | None = None,
) -> Note:
    """Write the note's files, then its record, the user's category counts and
    `extra` items in one transaction.

    Saving the same note_id again overwrites it: a redelivered job rewrites its
    note instead of adding a second one (and counts it once). `embedding` is a
    vector (packed here) or already packed bytes. `draft` (what the note was
    rendered from) is stored beside it.

    With `attempt` (the worker's), the files are written under the attempt's
    guard: staged under keys of this attempt, promoted to the note's keys only
    after the transaction (conditioned on the attempt by `extra`) committed, so a
    superseded attempt never overwrites the committed note, and a cancelled one
    removes what it staged (docs/DESIGN.md section 6).
    """
    note_id = note_id or uuid.uuid4().hex
    previous = db.get(config.notes_table(), {"note_id": note_id}, consistent=True)
    if previous is not None and previous.get("user_id") != user_id:
        raise ValueError(f"note {note_id} belongs to another user")
    title = unique_title(user_id, title, note_id)
    body = content.encode("utf-8")
    written = _put_files(user_id, note_id, attempt, _files(body, draft))
    now = db.now_iso()
    record: Note = {
        "note_id": note_id, "user_id": user_id, "video_id": video_id, "title": title,
        "user_title": title_key(user_id, title), "category": category,
        "user_category": category_key(user_id, category), "tags": list(tags),
        "related": list(related), "content_length": len(body),
        "embedding": _packed(embedding),
        "created_at": previous.get("created_at", now) if previous else now, "updated_at": now,
    }
    if attempt:
        record["pending_attempt"] = attempt
    if previous is not None and previous.get("course"):  # a note rewritten stays in its course
        record["course"] = str(previous["course"])
    put, changes = _put_as_read(record, previous)
    counted = count_update(user_id, changes)
    try:
        db.transact([{"Put": put}, *([counted] if counted else []), *extra])
    except Exception:
        if attempt:  # this attempt lost the video: leave nothing behind
            _delete_keys(written)
        raise
    if attempt:
        promote(record)
    before = previous.get("category") if previous else None
    if before is not None and before != category:
        _forget_empty(user_id, [before])
    return record


def _put_files(user_id: str, note_id: str, attempt: str | None,
               files: dict[str, tuple[bytes, str]]) -> list[str]:
    """Write the note's files: staged under the attempt's keys when there is one
    (promoted once the note is committed), else under the note's own. Returns the
    keys written."""
    written = {(_staged_key(user_id, note_id, attempt, extension) if attempt
                else _final_key(user_id, note_id, extension)): value
               for extension, value in files.items()}
    for key, (data, content_type) in written.items():
        aws.client("s3").put_object(Bucket=config.notes_bucket(), Key=key, Body=data,
                                    ContentType=content_type)
    return list(written)


def _put_as_read(record: Note, previous: dict[str, Any] | None
                 ) -> tuple[dict[str, Any], dict[str, int]]:
    """The note's Put, conditioned on the note as it was read (absent, without a
    category, or in the category read), and the moves of the user's category counts
    it makes."""
    category = record["category"]
    put: dict[str, Any] = {"TableName": config.notes_table(), "Item": db.to_item(record)}
    changes = {category: 1}
    before = previous.get("category") if previous else None
    if previous is None:
        put["ConditionExpression"] = "attribute_not_exists(note_id)"
    elif before is None:
        put["ConditionExpression"] = "attribute_not_exists(category)"
    else:  # as read: a concurrent change fails the transaction instead of miscounting
        put["ConditionExpression"] = "category = :previous"
        put["ExpressionAttributeValues"] = db.values(previous=before)
        changes[before] = changes.get(before, 0) - 1
    return put, changes


def set_course(user_id: str, note_id: str, course: str) -> bool:
    """The note goes into the course's folder of the vault export (`course`: its title),
    unless another course holds it already (the first course keeps it). False when the
    note is gone, another user's, or in another course."""
    try:
        aws.client("dynamodb").update_item(
            TableName=config.notes_table(), Key=db.to_item({"note_id": note_id}),
            UpdateExpression="SET course = :c",
            ConditionExpression="user_id = :u AND (attribute_not_exists(course) OR course = :c)",
            ExpressionAttributeValues=db.values(u=user_id, c=course))
    except Exception as exc:
        if aws.is_error(exc, aws.CONDITION_FAILED):
            return False
        raise
    return True


MAX_BACKLINKS = 20  # an older note keeps its newest 20 links back (bounded record and file)


def link_back(user_id: str, note_id: str, newer: dict[str, Any],
              add_link: Callable[[str, str], str], attempts: int = 3) -> bool:
    """Add the link back from the older note `note_id` to `newer` ({note_id, title}),
    once: its `related` list, and its file through `add_link(content, title)`
    (chalicelib.notes.markdown.add_related). False when there was nothing to do
    (gone, another user's, or linked already)."""
    for _ in range(attempts):
        record = db.get(config.notes_table(), {"note_id": note_id}, consistent=True)
        if record is None or record.get("user_id") != user_id \
                or note_id == newer["note_id"]:
            return False
        related = list(record.get("related") or [])
        if any(item.get("note_id") == newer["note_id"] for item in related):
            return False
        related = (related + [{"note_id": newer["note_id"], "title": newer["title"]}])[
            -MAX_BACKLINKS:]
        content = add_link(read_content(cast(Note, record)), newer["title"])
        # The file first, then the record conditioned on the version read: a concurrent
        # link fails its condition and reads again (the file then has our line).
        aws.client("s3").put_object(
            Bucket=config.notes_bucket(), Key=object_key(user_id, note_id),
            Body=content.encode("utf-8"), ContentType="text/markdown; charset=utf-8")
        try:
            aws.client("dynamodb").update_item(
                TableName=config.notes_table(), Key=db.to_item({"note_id": note_id}),
                UpdateExpression="SET related = :related, content_length = :length, "
                                 "updated_at = :now",
                ConditionExpression="updated_at = :seen AND user_id = :user",
                ExpressionAttributeValues=db.values(
                    related=related, length=len(content.encode("utf-8")), now=db.now_iso(),
                    seen=record["updated_at"], user=user_id))
        except Exception as exc:  # only a failed condition is retried
            if not aws.is_error(exc, aws.CONDITION_FAILED):
                raise
            continue
        return True
    return False


_FILES = {".md": "text/markdown; charset=utf-8", ".json": "application/json"}


def _final_key(user_id: str, note_id: str, extension: str) -> str:
    return object_key(user_id, note_id) if extension == ".md" else draft_key(user_id, note_id)


def _files(body: bytes, draft: dict[str, Any] | None) -> dict[str, tuple[bytes, str]]:
    files = {".md": (body, _FILES[".md"])}
    if draft is not None:
        files[".json"] = (json.dumps(draft, ensure_ascii=False).encode("utf-8"),
                          _FILES[".json"])
    return files


def promote(record: NoteKey) -> None:
    """Finish saving a committed note: its attempt's staged files become the note's,
    then orphans (files of attempts that never committed) are removed. Idempotent:
    a reader that finds the note still pending finishes it."""
    attempt = record.get("pending_attempt")
    if not attempt:
        return
    user_id, note_id = record["user_id"], record["note_id"]
    s3 = aws.client("s3")
    for extension in _FILES:
        try:  # a note's files are small: read and write (the same two permissions)
            data = s3.get_object(Bucket=config.notes_bucket(), Key=_staged_key(
                user_id, note_id, attempt, extension))["Body"].read()
        except Exception as exc:  # no draft, or promoted already
            if not aws.is_error(exc, *aws.NOT_FOUND):
                raise
            continue
        s3.put_object(Bucket=config.notes_bucket(), Key=_final_key(user_id, note_id, extension),
                      Body=data, ContentType=_FILES[extension])
    try:
        aws.client("dynamodb").update_item(
            TableName=config.notes_table(), Key=db.to_item({"note_id": note_id}),
            UpdateExpression="REMOVE pending_attempt",
            ConditionExpression="pending_attempt = :a",
            ExpressionAttributeValues=db.values(a=attempt))
    except Exception as exc:  # finished by another reader, or deleted
        if not aws.is_error(exc, aws.CONDITION_FAILED):
            raise
    record.pop("pending_attempt", None)
    remove_orphans(user_id, note_id)


def _note_files(user_id: str, note_id: str) -> list[str]:
    response = aws.client("s3").list_objects_v2(Bucket=config.notes_bucket(),
                                                Prefix=files_prefix(user_id, note_id))
    return [item["Key"] for item in response.get("Contents", [])]


def remove_orphans(user_id: str, note_id: str) -> None:
    """Delete the note's files that are not the note or its draft (staged copies of
    attempts that crashed or lost the video)."""
    keep = {object_key(user_id, note_id), draft_key(user_id, note_id)}
    _delete_keys([key for key in _note_files(user_id, note_id) if key not in keep])


def delete_files(user_id: str, note_id: str) -> None:
    """Every file of the note, whether or not a record names it (a failed video's)."""
    _delete_keys(_note_files(user_id, note_id))


def _delete_keys(keys: Sequence[str]) -> None:
    for key in keys:
        aws.client("s3").delete_object(Bucket=config.notes_bucket(), Key=key)


def read_draft(record: NoteKey) -> dict[str, Any] | None:
    """The stored draft of the note ({"youtube_video_id", "draft", "include_questions"}),
    or None for a note saved without one."""
    promote(record)
    try:
        response = aws.client("s3").get_object(
            Bucket=config.notes_bucket(), Key=draft_key(record["user_id"], record["note_id"]))
    except Exception as exc:  # a note saved without a draft
        if aws.is_error(exc, *aws.NOT_FOUND):
            return None
        raise
    data = json.loads(response["Body"].read())
    return data if isinstance(data, dict) else None


def _packed(embedding: bytes | bytearray | None) -> bytes | None:
    """The stored form of a packed embedding (chalicelib.knowledge.embeddings.pack)."""
    return None if embedding is None else bytes(embedding)


def delete_file(user_id: str, note_id: str) -> None:
    delete_files(user_id, note_id)


def public_note(record: Note, content: str | None = None) -> dict[str, Any]:
    note = {field: record.get(field) for field in PUBLIC_FIELDS}
    note["tags"] = note["tags"] or []
    note["related"] = note["related"] or []
    if content is not None:
        note["content"] = content
    return note


def owned_record(user_id: str, note_id: str) -> Note:
    """The note if it is this user's; 404 exactly as if it did not exist otherwise."""
    if not isinstance(note_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", note_id):
        raise NotFoundError("Note not found")
    record = db.get(config.notes_table(), {"note_id": note_id})
    if record is None or record.get("user_id") != user_id:
        raise NotFoundError("Note not found")
    return cast(Note, record)


def read_content(record: NoteKey) -> str:
    promote(record)
    response = aws.client("s3").get_object(
        Bucket=config.notes_bucket(), Key=object_key(record["user_id"], record["note_id"]))
    return cast(str, response["Body"].read().decode("utf-8"))


def list_page(user_id: str, *, limit: int, last_key: str | None,
              category: str | None = None) -> tuple[list[Note], str | None]:
    """One page of the user's notes (in one category when given), newest first."""
    if category:
        query = {"index": "UserCategoryIndex", "key_name": "user_category",
                 "key_value": category_key(user_id, category), "scope": f"notes:{category}"}
    else:
        query = {"index": "UserNotesIndex", "key_name": "user_id", "key_value": user_id,
                 "scope": "notes"}
    records, cursor = db.query_page(table=config.notes_table(), user_id=user_id, limit=limit,
                                    last_key=last_key, **query)
    return cast(list[Note], records), cursor


def get_note(user_id: str, note_id: str, *, include_content: bool = False) -> dict[str, Any]:
    record = owned_record(user_id, note_id)
    return public_note(record, read_content(record) if include_content else None)


def download(user_id: str, note_id: str) -> dict[str, Any]:
    record = owned_record(user_id, note_id)
    promote(record)
    filename = safe_filename(record.get("title") or "Untitled")
    ascii_name = filename.encode("ascii", "ignore").decode() or "note.md"
    disposition = (f'attachment; filename="{ascii_name}"; '
                   f"filename*=UTF-8''{quote(filename)}")
    url = aws.client("s3").generate_presigned_url(
        "get_object", ExpiresIn=DOWNLOAD_EXPIRES_IN,
        Params={"Bucket": config.notes_bucket(),
                "Key": object_key(user_id, note_id),
                "ResponseContentDisposition": disposition,
                "ResponseContentType": "text/markdown; charset=utf-8"})
    return {"url": url, "expires_in": DOWNLOAD_EXPIRES_IN, "filename": filename}


def delete_for_video(user_id: str, video_id: str) -> int:
    """Delete the user's notes (files first, then records) made from a video, each
    with its category count in one transaction."""
    response = aws.client("dynamodb").query(
        TableName=config.notes_table(), IndexName="VideoNotesIndex",
        KeyConditionExpression="video_id = :v", ExpressionAttributeValues=db.values(v=video_id))
    deleted = 0
    for record in map(db.from_item, response.get("Items", [])):
        if record is None or record.get("user_id") != user_id:
            continue
        delete_files(user_id, record["note_id"])
        category = record.get("category")
        items = [{"Delete": {"TableName": config.notes_table(),
                             "Key": db.to_item({"note_id": record["note_id"]}),
                             "ConditionExpression": "attribute_exists(note_id)"}}]
        counted = count_update(user_id, {category: -1}) if category else None
        try:
            db.transact(items + ([counted] if counted else []))
        except Exception as exc:  # deleted meanwhile: counted already
            if not aws.is_error(exc, aws.TRANSACTION_CANCELLED):
                raise
            continue
        if category:
            _forget_empty(user_id, [category])
        deleted += 1
    if re.fullmatch(r"[A-Za-z0-9_-]{1,64}", video_id):
        delete_files(user_id, video_id)  # a worker's note is named by its video: orphans too
    return deleted


