"""The shared transcript cache in S3 (transcripts/{youtube_video_id}.json).

A cached transcript is used instead of asking YouTube, which blocks cloud IPs
that ask too often (popular lectures are submitted by many students).
"""
from __future__ import annotations

import json
import logging

from chalicelib.core import aws, config
from chalicelib.youtube import cache_scope
from chalicelib.youtube.transcript_model import Transcript

log = logging.getLogger(__name__)


def cache_key(video_id: str) -> str:
    # One file per video (the layout DESIGN section 5 fixes); shared by rule:
    # chalicelib.youtube.cache_scope.
    return f"transcripts/{video_id}.json"


def read_cache(video_id: str) -> Transcript | None:
    try:
        response = aws.client("s3").get_object(Bucket=config.notes_bucket(),
                                               Key=cache_key(video_id))
    except Exception as exc:  # noqa: BLE001 - a miss is normal; other errors are logged
        if not aws.is_error(exc, *aws.NOT_FOUND):
            log.warning("transcript cache read failed for %s: %s", video_id,
                        aws.describe(exc))
        return None
    try:
        return Transcript.from_dict(json.loads(response["Body"].read()))
    except (ValueError, KeyError, TypeError):
        log.warning("transcript cache entry for %s is unreadable; fetching again", video_id)
        return None


def write_cache(transcript: Transcript) -> None:
    if not cache_scope.may_share(transcript):
        raise ValueError("an uploaded transcript is never written to the shared cache")
    aws.client("s3").put_object(
        Bucket=config.notes_bucket(), Key=cache_key(transcript.video_id),
        Body=json.dumps(transcript.to_dict(), ensure_ascii=False).encode(),
        ContentType="application/json")
