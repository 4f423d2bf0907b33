"""A student's search index (docs/DESIGN.md section 13): built when a note is saved,
kept in S3 under `index/{user_id}/`, and held in memory per function container.

Layout: one object per note, `index/{user_id}/notes/{note_id}.json.gz` (its verified
items and its transcript as passages of whole sentences, with their MiniLM vectors
packed as int8), and a marker, `index/{user_id}/version`, rewritten after every change.
Saving or reprocessing a note replaces its one object, deleting it removes the object:
no other note's entries are read or written.

A search reads the marker (one HEAD); while its ETag is the one the cached index was
built under, the cache serves. When it changed, the prefix is listed and only the
notes whose object ETag changed are read again. The marker is read before the listing,
so a change made in between is seen by this listing or, at the latest, by the next
search (its marker differs). Every key is built from the caller's user id: a student's
index is never read for another.
"""
from __future__ import annotations

import base64
import concurrent.futures
import gzip
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.core import aws, config
from chalicelib.knowledge import embeddings
from chalicelib.notes.claims import claim_text
from chalicelib.notes.grounding import grounded_items
from chalicelib.notes.offline.sentence_split import said_sentences
from chalicelib.search import lexical
from chalicelib.youtube.links import canonical_url

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from chalicelib.youtube.transcript_model import Transcript

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
PASSAGE_SECONDS = 40.0  # a passage closes at the first sentence starting this late
PASSAGE_CHARS = 1200  # or this long (MiniLM reads 256 tokens: about 1,000 characters)
SHORT_TAIL_SECONDS = 12.0  # a last passage shorter than this joins the one before
MAX_TEXT = 2000
DIMENSIONS = 384  # MiniLM's
READ_THREADS = 16
CACHED_USERS = 64  # students whose index one container keeps (least recent dropped)
# And at most this share of the function's memory (AWS_LAMBDA_FUNCTION_MEMORY_SIZE) for
# all of them: 64 students of a few hundred lectures would not fit otherwise.
CACHE_MEMORY_SHARE = 0.4
LOCAL_CACHE_MB = 1024  # outside Lambda (chalice local, tests): SEARCH_CACHE_MB overrides
# What an index holds per byte of its vectors (the entries' text and dicts, postings):
# bench/retrieval.py measured 373 MB held for 116 MB of vectors at 1,000 lectures.
HELD_PER_VECTOR_BYTE = 3.2
# What the word table of a misspelled query (UserIndex.words_by_initial) holds per word
# of the vocabulary (29 MB for 300,000 words, measured with tracemalloc): counted whether
# or not it is built yet, so a first misspelling never outgrows the budget.
HELD_PER_WORD = 100


# --- building a note's entries --------------------------------------------------

def passages(transcript: Transcript) -> list[list[tuple[float, str]]]:
    """The transcript as passages of whole sentences (about 40 to 50 s each), each a
    list of (start, sentence)."""
    groups: list[list[tuple[float, str]]] = []
    current: list[tuple[float, str]] = []
    size = 0
    for start, sentence in said_sentences(transcript):
        if current and (start - current[0][0] >= PASSAGE_SECONDS or size >= PASSAGE_CHARS):
            groups.append(current)
            current, size = [], 0
        current.append((round(float(start), 2), sentence[:MAX_TEXT]))
        size += len(sentence) + 1
    if current:
        if groups and current[-1][0] - current[0][0] < SHORT_TAIL_SECONDS \
                and sum(len(text) for _, text in groups[-1] + current) < 2 * PASSAGE_CHARS:
            groups[-1] += current
        else:
            groups.append(current)
    return groups


def verified_items(draft: dict[str, Any]) -> list[dict[str, Any]]:
    """The draft's items the grounding verified (quote found, claim agrees), as
    {text, quote, start}. An unverified item never becomes a hit."""
    items: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for item in grounded_items(draft):
        start, quote = item.get("timestamp"), item.get("quote")
        if item.get("verified") is not True or not isinstance(quote, str) or not quote \
                or isinstance(start, bool) or not isinstance(start, (int, float)):
            continue
        text = claim_text(item)
        if item.get("term"):
            text = f"{item['term']}: {text}"
        elif item.get("question"):
            text = f"{item['question']} {text}"
        if not text or (text, quote) in seen:
            continue
        seen.add((text, quote))
        items.append({"kind": "item", "text": text[:MAX_TEXT], "quote": quote[:MAX_TEXT],
                      "start": round(float(start), 2)})
    return items


def note_document(*, note_id: str, title: str, category: str, youtube_video_id: str,
                  transcript: Transcript, draft: dict[str, Any]) -> dict[str, Any]:
    """A note's index object: its metadata, entries and packed vectors."""
    entries: list[dict[str, Any]] = verified_items(draft)
    entries += [{"kind": "passage", "start": group[0][0],
                 "sentences": [[start, text] for start, text in group]}
                for group in passages(transcript)]
    texts = [entry_text(entry) for entry in entries]
    packed = b"".join(embeddings.pack(vector) for vector in embeddings.embed(texts)) \
        if texts else b""
    note: dict[str, Any] = {"note_id": note_id, "title": title, "category": category,
                            "youtube_video_id": youtube_video_id,
                            "language": transcript.language}
    return {"format": FORMAT_VERSION, "note": note, "entries": entries,
            "vectors": base64.b64encode(packed).decode("ascii")}


def entry_text(entry: dict[str, Any]) -> str:
    if entry["kind"] == "passage":
        return " ".join(text for _, text in entry["sentences"])
    return str(entry["text"])


# --- S3 ---------------------------------------------------------------------------

def _prefix(user_id: str) -> str:
    if not user_id or "/" in user_id:
        raise ValueError("a user id names one index")
    return f"index/{user_id}/"


def note_key(user_id: str, note_id: str) -> str:
    return f"{_prefix(user_id)}notes/{note_id}.json.gz"


def marker_key(user_id: str) -> str:
    return f"{_prefix(user_id)}version"


def _touch(user_id: str) -> None:
    aws.client("s3").put_object(Bucket=config.notes_bucket(), Key=marker_key(user_id),
                                Body=uuid.uuid4().hex.encode(), ContentType="text/plain")


def write_note(user_id: str, document: dict[str, Any]) -> None:
    """Store (or replace) one note's entries, then mark the index changed."""
    body = gzip.compress(json.dumps(document, ensure_ascii=False).encode("utf-8"), 6)
    aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=note_key(user_id, document["note"]["note_id"]),
        Body=body, ContentType="application/json", ContentEncoding="gzip")
    _touch(user_id)


def remove_note(user_id: str, note_id: str) -> None:
    """Remove one note's entries (nothing to do when it has none)."""
    aws.client("s3").delete_object(Bucket=config.notes_bucket(), Key=note_key(user_id, note_id))
    _touch(user_id)


def has_note(user_id: str, note_id: str) -> bool:
    try:
        aws.client("s3").head_object(Bucket=config.notes_bucket(),
                                     Key=note_key(user_id, note_id))
    except Exception as exc:
        if aws.is_error(exc, *aws.NOT_FOUND, "NotFound"):
            return False
        raise
    return True


# --- in memory ---------------------------------------------------------------------

@dataclass
class NoteBlock:
    """One note's entries as a search holds them."""

    note: dict[str, Any]
    entries: list[dict[str, Any]]
    vectors: np.ndarray
    texts: list[str]
    postings: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
    etag: str = ""

    @cached_property
    def length_seconds(self) -> float:
        """How far into the lecture its last passage's last sentence starts (read once
        per block: an answer asks it of every sentence it weighs)."""
        last = 0.0
        for entry in self.entries:
            if entry["kind"] == "passage" and entry["sentences"]:
                last = max(last, float(entry["sentences"][-1][0]))
        return last

    def url(self, second: float) -> str:
        return f"{canonical_url(self.note['youtube_video_id'])}&t={int(second)}s"


def _block(document: dict[str, Any], vocabulary: dict[str, int], etag: str) -> NoteBlock:
    import numpy as np

    entries = document.get("entries") or []
    texts = [entry_text(entry) for entry in entries]
    packed = base64.b64decode(document.get("vectors") or "")
    size = len(packed) // max(1, len(entries))
    matrix, kept = embeddings.unpack_many([packed[i * size:(i + 1) * size]
                                           for i in range(len(entries))])
    if not entries or len(kept) != len(entries):  # another model's: found by words only
        matrix = np.zeros((len(entries), DIMENSIONS), dtype=np.float32)
    return NoteBlock(note=document["note"], entries=entries, vectors=matrix, texts=texts,
                     postings=lexical.postings(texts, vocabulary), etag=etag)


@dataclass
class UserIndex:
    """A student's whole index: the notes' entries one after another, their vectors
    as one matrix, their words as one set of postings."""

    marker: str
    blocks: list[NoteBlock]
    vocabulary: dict[str, int]
    block_of: np.ndarray = field(init=False)
    local: np.ndarray = field(init=False)
    vectors: np.ndarray = field(init=False)
    postings: lexical.Postings = field(init=False)

    def __post_init__(self) -> None:
        import numpy as np

        sizes = [len(block.entries) for block in self.blocks]
        self.block_of = np.repeat(np.arange(len(self.blocks), dtype=np.int32), sizes)
        self.local = np.concatenate([np.arange(size, dtype=np.int32) for size in sizes]) \
            if sizes else np.zeros(0, dtype=np.int32)
        self.vectors = np.concatenate([block.vectors for block in self.blocks]) \
            if self.blocks else np.zeros((0, DIMENSIONS), dtype=np.float32)
        offsets = np.cumsum([0, *sizes])
        # Each block keeps a view of the one matrix, not its own copy: the vectors are
        # held once (the largest part of a big index), and a previous index's matrix
        # is freed once it is replaced.
        for block, start, size in zip(self.blocks, offsets[:-1], sizes, strict=True):
            block.vectors = self.vectors[int(start):int(start) + size]
        parts = [block.postings for block in self.blocks]
        if parts:
            term_ids = np.concatenate([p[0] for p in parts])
            entries = np.concatenate([p[1] + offset for p, offset
                                      in zip(parts, offsets[:-1], strict=True)])
            counts = np.concatenate([p[2] for p in parts])
            lengths = np.concatenate([p[3] for p in parts])
        else:
            term_ids = entries = np.zeros(0, dtype=np.int32)
            counts = lengths = np.zeros(0, dtype=np.float32)
        self.postings = lexical.Postings(term_ids, entries, counts, lengths,
                                         len(self.vocabulary))

    @cached_property
    def words_by_initial(self) -> dict[str, list[tuple[str, int, int]]]:
        """The index's words by first letter, each with its id and its letters' mask:
        where a misspelling is looked up (chalicelib.search.spelling), built on the
        first one."""
        grouped: dict[str, list[tuple[str, int, int]]] = {}
        # A snapshot: the next index of this student shares the vocabulary and adds to
        # it while this one may still answer a search (words it adds have no postings
        # here, so they are never chosen).
        for word in list(self.vocabulary):
            grouped.setdefault(word[:1], []).append((word, self.vocabulary[word],
                                                     lexical.letters(word)))
        return grouped

    @property
    def size(self) -> int:
        return len(self.block_of)

    @property
    def held_bytes(self) -> int:
        """About what the index holds in memory (HELD_PER_VECTOR_BYTE, HELD_PER_WORD)."""
        return int(self.vectors.nbytes * HELD_PER_VECTOR_BYTE) \
            + len(self.vocabulary) * HELD_PER_WORD

    def entry(self, position: int) -> tuple[NoteBlock, dict[str, Any]]:
        block = self.blocks[int(self.block_of[position])]
        return block, block.entries[int(self.local[position])]


class _Slot:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: UserIndex | None = None


_slots: OrderedDict[str, _Slot] = OrderedDict()
_slots_lock = threading.Lock()


def _slot(user_id: str) -> _Slot:
    """The container's place for one student's index: never shared between students;
    the least recently searched are dropped beyond CACHED_USERS."""
    with _slots_lock:
        slot = _slots.get(user_id)
        if slot is None:
            slot = _slots[user_id] = _Slot()
            while len(_slots) > CACHED_USERS:
                _slots.popitem(last=False)
        _slots.move_to_end(user_id)
        return slot


def cache_budget_bytes() -> int:
    """What the cached indexes may hold together: SEARCH_CACHE_MB, else a share of the
    Lambda function's memory, else LOCAL_CACHE_MB."""
    configured = config.env("SEARCH_CACHE_MB", "")
    if configured:
        return int(float(configured) * 2**20)
    memory = config.env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
    megabytes = float(memory) * CACHE_MEMORY_SHARE if memory else LOCAL_CACHE_MB
    return int(megabytes * 2**20)


def _keep_within_budget(current: str) -> None:
    """Drop the least recently searched students' indexes until the rest fit the budget
    (never the one just served: a single index over it is served, and dropped once
    another student searches)."""
    budget = cache_budget_bytes()
    with _slots_lock:
        held = {user: slot.index.held_bytes if slot.index is not None else 0
                for user, slot in _slots.items()}
        total = sum(held.values())
        for user in list(_slots):
            if total <= budget:
                break
            if user != current:
                total -= held[user]
                del _slots[user]
    if total > budget:
        log.warning("search index of %s holds %d MB, over the cache budget of %d MB",
                    current, total // 2**20, budget // 2**20)


def _marker(user_id: str) -> str:
    try:
        head = aws.client("s3").head_object(Bucket=config.notes_bucket(),
                                            Key=marker_key(user_id))
    except Exception as exc:
        if aws.is_error(exc, *aws.NOT_FOUND, "NotFound"):
            return ""
        raise
    return str(head["ETag"])


def _listing(user_id: str) -> dict[str, str]:
    """{note_id: ETag} of the student's note objects."""
    prefix = f"{_prefix(user_id)}notes/"
    found: dict[str, str] = {}
    pages = aws.client("s3").get_paginator("list_objects_v2").paginate(
        Bucket=config.notes_bucket(), Prefix=prefix)
    for page in pages:
        for item in page.get("Contents", []):
            name = item["Key"][len(prefix):]
            if name.endswith(".json.gz"):
                found[name[:-len(".json.gz")]] = str(item["ETag"])
    return found


def _read(user_id: str, note_id: str) -> tuple[dict[str, Any], str] | None:
    try:
        response = aws.client("s3").get_object(Bucket=config.notes_bucket(),
                                               Key=note_key(user_id, note_id))
    except Exception as exc:  # removed since the listing
        if aws.is_error(exc, *aws.NOT_FOUND):
            return None
        raise
    raw = response["Body"].read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    document = json.loads(raw)
    if not isinstance(document, dict) or document.get("format") != FORMAT_VERSION:
        return None
    return document, str(response["ETag"])


def load(user_id: str) -> UserIndex:
    """The student's index, from the container's cache while it is current."""
    slot = _slot(user_id)
    with slot.lock:  # one refresh per student at a time; other students are not held
        marker = _marker(user_id)
        cached = slot.index
        if cached is not None and cached.marker == marker and marker:
            return cached
        slot.index = index = _refresh(user_id, marker, cached)
    _keep_within_budget(user_id)
    return index


def _refresh(user_id: str, marker: str, cached: UserIndex | None) -> UserIndex:
    vocabulary = cached.vocabulary if cached is not None else {}
    if not marker:
        return UserIndex(marker, [], vocabulary)
    kept = {block.note["note_id"]: block for block in cached.blocks} if cached else {}
    listing = _listing(user_id)
    blocks: dict[str, NoteBlock] = {}
    missing = []
    for note_id, etag in listing.items():
        if note_id in kept and kept[note_id].etag == etag:
            blocks[note_id] = kept[note_id]
        else:
            missing.append(note_id)
    with concurrent.futures.ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
        reads = pool.map(lambda note_id: _read(user_id, note_id), missing)
        for note_id, read in zip(missing, reads, strict=True):
            if read is not None:
                blocks[note_id] = _block(read[0], vocabulary, read[1])
    log.info("index of %s: %d notes (%d read)", user_id, len(blocks), len(missing))
    return UserIndex(marker, [blocks[note_id] for note_id in sorted(blocks)], vocabulary)


def from_documents(documents: Iterable[tuple[dict[str, Any], str]],
                   marker: str = "") -> UserIndex:
    """An index built from note objects as read (document, ETag), without S3: what a
    cold search builds after its reads (bench/retrieval.py measures it)."""
    vocabulary: dict[str, int] = {}
    return UserIndex(marker, [_block(document, vocabulary, etag)
                              for document, etag in documents], vocabulary)


def forget(user_id: str) -> None:
    """Drop a student's cached index (tests and benchmarks measure a cold read)."""
    with _slots_lock:
        _slots.pop(user_id, None)
