"""Note records (DynamoDB) and note files (S3): the read side, saving and deletion.

Content lives in S3 at notes/{user_id}/{note_id}.md; the record holds what
lists need. Lists are Queries on UserNotesIndex, or on UserCategoryIndex when
filtered by category, so a filter never reads the user's whole note set.
"""
from __future__ import annotations

import re
import unicodedata
import uuid
from typing import Any, Sequence
from urllib.parse import quote

from chalicelib import aws, config, db, validation
from chalicelib.errors import NotFoundError

DOWNLOAD_EXPIRES_IN = 900
MAX_CATEGORY_LENGTH = 100
MAX_FILENAME_LENGTH = 120
PUBLIC_FIELDS = ("note_id", "video_id", "title", "category", "tags", "related",
                 "content_length", "created_at", "updated_at")


def object_key(user_id: str, note_id: str) -> str:
    return f"notes/{user_id}/{note_id}.md"


def category_key(user_id: str, category: str) -> str:
    return f"{user_id}#{category}"


def title_key(user_id: str, title: str) -> str:
    return f"{user_id}#{title.casefold()}"


def safe_filename(title: str, extension: str = ".md") -> str:
    """A file name that every OS and Obsidian accept, derived from the title."""
    name = unicodedata.normalize("NFC", title)
    name = re.sub(r'[\\/:*?"<>|#^\[\]\x00-\x1f\x7f]', " ", name)
    name = re.sub(r"\s+", " ", name).strip(" .")[:MAX_FILENAME_LENGTH].strip(" .")
    return (name or "Untitled") + extension


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
    related: Sequence[dict] = (),
    embedding: Sequence[float] | None = None,
    note_id: str | None = None,
    extra: Sequence[dict] = (),
) -> dict:
    """Write the note file, then its record with `extra` items in one transaction.

    Saving the same note_id again overwrites it: a redelivered job rewrites its
    note instead of adding a second one.
    """
    note_id = note_id or uuid.uuid4().hex
    title = unique_title(user_id, title, note_id)
    body = content.encode("utf-8")
    aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=object_key(user_id, note_id), Body=body,
        ContentType="text/markdown; charset=utf-8")
    now = db.now_iso()
    record = {
        "note_id": note_id, "user_id": user_id, "video_id": video_id, "title": title,
        "user_title": title_key(user_id, title), "category": category,
        "user_category": category_key(user_id, category), "tags": list(tags),
        "related": list(related), "content_length": len(body),
        "embedding": list(embedding) if embedding is not None else None,
        "created_at": now, "updated_at": now,
    }
    db.transact([{"Put": {"TableName": config.notes_table(), "Item": db.to_item(record)}},
                 *extra])
    return record


def delete_file(user_id: str, note_id: str) -> None:
    aws.client("s3").delete_object(Bucket=config.notes_bucket(), Key=object_key(user_id, note_id))


def public_note(record: dict, content: str | None = None) -> dict:
    note = {field: record.get(field) for field in PUBLIC_FIELDS}
    note["tags"] = note["tags"] or []
    note["related"] = note["related"] or []
    if content is not None:
        note["content"] = content
    return note


def owned_record(user_id: str, note_id: str) -> dict:
    """The note if it is this user's; 404 exactly as if it did not exist otherwise."""
    if not isinstance(note_id, str) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", note_id):
        raise NotFoundError("Note not found")
    record = db.get(config.notes_table(), {"note_id": note_id})
    if record is None or record.get("user_id") != user_id:
        raise NotFoundError("Note not found")
    return record


def read_content(record: dict) -> str:
    response = aws.client("s3").get_object(
        Bucket=config.notes_bucket(), Key=object_key(record["user_id"], record["note_id"]))
    return response["Body"].read().decode("utf-8")


def list_notes(user_id: str, params: dict | None) -> dict:
    params = validation.query_params(params, ("limit", "category", "last_key"))
    limit = validation.page_size(params)
    category = params.get("category")
    if category:
        category = validation.string(category, "category", max_length=MAX_CATEGORY_LENGTH)
        query = {"index": "UserCategoryIndex", "key_name": "user_category",
                 "key_value": category_key(user_id, category), "scope": f"notes:{category}"}
    else:
        query = {"index": "UserNotesIndex", "key_name": "user_id", "key_value": user_id,
                 "scope": "notes"}
    records, cursor = db.query_page(table=config.notes_table(), user_id=user_id, limit=limit,
                                    last_key=params.get("last_key"), **query)
    notes = [public_note(record) for record in records]
    return {"notes": notes, "count": len(notes), "last_key": cursor}


def get_note(user_id: str, note_id: str, params: dict | None) -> dict:
    params = validation.query_params(params, ("include_content",))
    include = validation.bool_param(params.get("include_content"), "include_content")
    record = owned_record(user_id, note_id)
    return public_note(record, read_content(record) if include else None)


def download(user_id: str, note_id: str) -> dict:
    record = owned_record(user_id, note_id)
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
    """Delete the user's notes (files first, then records) made from a video."""
    response = aws.client("dynamodb").query(
        TableName=config.notes_table(), IndexName="VideoNotesIndex",
        KeyConditionExpression="video_id = :v", ExpressionAttributeValues=db.values(v=video_id))
    deleted = 0
    for record in map(db.from_item, response.get("Items", [])):
        if record is None or record.get("user_id") != user_id:
            continue
        delete_file(user_id, record["note_id"])
        aws.client("dynamodb").delete_item(TableName=config.notes_table(),
                                           Key=db.to_item({"note_id": record["note_id"]}))
        deleted += 1
    return deleted


