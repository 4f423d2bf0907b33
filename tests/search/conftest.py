"""What the search tests share: notes indexed by the real code (the offline writer's
grounded draft and the corpus lectures' transcripts, chalicelib.search.index), and a
log of the S3 calls the app makes."""
from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from chalicelib.core import aws
from chalicelib.notes import drafts, generators, offline
from chalicelib.search import index as search_index
from chalicelib.youtube.transcript_model import Transcript

LECTURES = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "lectures"


@cache
def corpus(name: str) -> tuple[Transcript, dict[str, Any], str]:
    """(transcript, grounded offline draft, subject) of a corpus lecture, made once."""
    data = json.loads((LECTURES / f"{name}.json").read_text())
    transcript = Transcript.from_dict(data)
    draft = generators.finish(offline.draft(transcript, drafts.Options(
        language=transcript.language)), transcript)
    return transcript, draft, data["subject"]


@cache
def _document(name: str, note_id: str | None) -> str:
    transcript, grounded, subject = corpus(name)
    return json.dumps(search_index.note_document(
        note_id=note_id or transcript.video_id, title=transcript.title, category=subject,
        youtube_video_id=transcript.video_id, transcript=transcript, draft=grounded))


def index_lecture(user_id: str, name: str, *, note_id: str | None = None,
                  draft: dict[str, Any] | None = None) -> str:
    """Index a corpus lecture as one of the student's notes (by the real code; built
    once per lecture, written for each student); returns its note id."""
    if draft is None:
        document = json.loads(_document(name, note_id))
        search_index.write_note(user_id, document)
        return str(document["note"]["note_id"])
    transcript, _, subject = corpus(name)
    note_id = note_id or transcript.video_id
    search_index.write_note(user_id, search_index.note_document(
        note_id=note_id, title=transcript.title, category=subject,
        youtube_video_id=transcript.video_id, transcript=transcript,
        draft=json.loads(json.dumps(draft))))
    return note_id


@pytest.fixture
def s3_calls(stack: dict) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """(operation, params) of every S3 call made while the test runs."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, params))

    events = aws.client("s3").meta.events
    events.register("provide-client-params.s3.*", record)
    try:
        yield calls
    finally:
        events.unregister("provide-client-params.s3.*", record)
