"""The note record: one item of the notes table (its Markdown lives in S3).

A TypedDict: the plain item DynamoDB reads and writes, with every field mypy checks.
Only chalicelib.notes.note_store writes it.
"""
from __future__ import annotations

from typing import NotRequired, TypedDict

from chalicelib.knowledge.library import RelatedNote


class NoteKey(TypedDict):
    """What finds a note's files: every Note is one."""

    note_id: str
    user_id: str
    pending_attempt: NotRequired[str]  # the attempt whose staged files are not promoted yet


class Note(TypedDict):
    note_id: str
    user_id: str
    video_id: str
    title: str
    user_title: str  # "{user_id}#{casefolded title}": titles unique per user
    category: str
    user_category: str  # "{user_id}#{category}": UserCategoryIndex
    tags: list[str]
    related: list[RelatedNote]
    content_length: int
    created_at: str
    updated_at: str
    embedding: NotRequired[bytes | None]
    pending_attempt: NotRequired[str]  # the attempt whose staged files are not promoted yet
    # The course whose folder holds the note in the vault export (its title; the first
    # course that holds the lecture: chalicelib.courses.index_note sets it).
    course: NotRequired[str]
