"""`make seed`: a demo user and sample lectures in the transcript cache, and review
cards for the demo user.

Runs against the local stack that `make run` started (it reads
.local/outputs.json). The samples (infra/local/samples/*.json, written for this
project) go into the transcript cache, so submitting them works offline:
https://www.youtube.com/watch?v=sbPhysics01 and the others below.

The demo user also gets a demo note of REVIEW_SAMPLE (the offline writer's, grounded,
saved by the app's own code, without a video) and its cards (docs/DESIGN.md section
12), REVIEWED_CARDS of them reviewed days ago so they are due now and the rest new:
the Review page has work at once. Running it again changes nothing.

A sample course (docs/DESIGN.md section 14): the playlist SAMPLE_PLAYLIST, listed
from the seeded lectures plus one private video, is written where the local stage reads
playlists instead of YouTube (`playlists/{id}.json`, the flat info dict yt-dlp gives),
so POST /courses with https://www.youtube.com/playlist?list=PLsbSampleCourse01 works
offline; the demo user has it as a course, ready to start.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3

PROJECT_DIR = Path(__file__).resolve().parents[2]
SAMPLES_DIR = Path(__file__).resolve().parent / "samples"
DEMO_EMAIL = "demo@studybuddy.local"
DEMO_PASSWORD = "Demo!Passw0rd"
DEMO_NAME = "Demo Student"
REVIEW_SAMPLE = "sbBiology01"
DEMO_NOTE_ID = f"demo-{REVIEW_SAMPLE}"
REVIEWED_CARDS = 3
SAMPLE_PLAYLIST = "PLsbSampleCourse01"
SAMPLE_PLAYLIST_TITLE = "Study Buddy Sample Course"
SAMPLE_COURSE_ORDER = ("sbPhysics01", "sbBiology01", "sbHistory01")


def samples() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(SAMPLES_DIR.glob("*.json"))]


def seed(outputs: dict) -> list[str]:
    endpoint = outputs["AwsEndpointUrl"]
    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local",
                                    region_name="us-east-1")
    cognito = session.client("cognito-idp", endpoint_url=endpoint)
    try:
        cognito.sign_up(ClientId=outputs["UserPoolClientId"], Username=DEMO_EMAIL,
                        Password=DEMO_PASSWORD,
                        UserAttributes=[{"Name": "email", "Value": DEMO_EMAIL},
                                        {"Name": "name", "Value": DEMO_NAME}])
        cognito.admin_confirm_sign_up(UserPoolId=outputs["UserPoolId"], Username=DEMO_EMAIL)
        # The local stage verifies at sign-up; the bonus needs it (docs/DESIGN.md 5).
        cognito.admin_update_user_attributes(
            UserPoolId=outputs["UserPoolId"], Username=DEMO_EMAIL,
            UserAttributes=[{"Name": "email_verified", "Value": "true"}])
    except cognito.exceptions.UsernameExistsException:
        pass
    s3 = session.client("s3", endpoint_url=endpoint)
    ids = []
    for sample in samples():
        s3.put_object(Bucket=outputs["NotesBucketName"],
                      Key=f"transcripts/{sample['video_id']}.json",
                      Body=json.dumps(sample).encode(), ContentType="application/json")
        ids.append(sample["video_id"])
    user = cognito.admin_get_user(UserPoolId=outputs["UserPoolId"], Username=DEMO_EMAIL)
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    seed_reviews(outputs, sub)
    s3.put_object(Bucket=outputs["NotesBucketName"], Key=f"playlists/{SAMPLE_PLAYLIST}.json",
                  Body=json.dumps(sample_playlist()).encode(), ContentType="application/json")
    seed_course(outputs, sub)
    return ids


def sample_playlist() -> dict:
    """The sample playlist as yt-dlp's flat extraction gives it (`extract_flat`): the
    seeded lectures in order, and a private video YouTube keeps in its place."""
    by_id = {sample["video_id"]: sample for sample in samples()}
    entries = [{"_type": "url", "ie_key": "Youtube", "id": video_id,
                "url": f"https://www.youtube.com/watch?v={video_id}",
                "title": by_id[video_id]["title"],
                "duration": by_id[video_id]["duration_seconds"],
                "channel": by_id[video_id]["channel"]} for video_id in SAMPLE_COURSE_ORDER]
    entries.insert(2, {"_type": "url", "ie_key": "Youtube", "id": "sbPrivate01",
                       "url": "https://www.youtube.com/watch?v=sbPrivate01",
                       "title": "[Private video]", "duration": None, "channel": None})
    return {"_type": "playlist", "id": SAMPLE_PLAYLIST, "title": SAMPLE_PLAYLIST_TITLE,
            "channel": "Study Buddy Samples", "webpage_url":
            f"https://www.youtube.com/playlist?list={SAMPLE_PLAYLIST}",
            "playlist_count": len(entries), "entries": entries}


def seed_course(outputs: dict, user_id: str) -> str:
    """The demo user's sample course, listed and ready (starting it is the student's
    choice: it spends credits). Made once: returns its id."""
    with _app_environment(outputs):
        from chalicelib.courses import course_store, playlist, runner

        source = playlist.source_url(SAMPLE_PLAYLIST)
        courses, _ = course_store.list_page(user_id, limit=100, last_key=None)
        found = next((c for c in courses if c.get("source_url") == source), None)
        if found is not None:
            return str(found["course_id"])
        course = runner.new_course(user_id, title=SAMPLE_PLAYLIST, source_url=source,
                                   subject=None, lectures=[], status="listing")
        runner.listed(course["course_id"], user_id,
                      playlist.from_info(sample_playlist(), SAMPLE_PLAYLIST))
        return course["course_id"]


@contextlib.contextmanager
def _app_environment(outputs: dict) -> Iterator[None]:
    """The app's settings for the stack in `outputs`, while the block runs (seed() is
    also called inside test processes that talk to another emulator)."""
    from infra.template import app_environment

    settings = {**app_environment(outputs), "AWS_ENDPOINT_URL": outputs["AwsEndpointUrl"],
                "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
                "STAGE": "local"}
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def seed_reviews(outputs: dict, user_id: str) -> tuple[int, int]:
    """The demo user's record, a demo note and its cards, some due now: (cards, due).
    Written by the app's own code (accounts, notes, reviews), once."""
    with _app_environment(outputs):
        from chalicelib.accounts import users
        from chalicelib.accounts.tokens import Identity
        from chalicelib.core import config, db
        from chalicelib.notes import generators, markdown, note_store, offline
        from chalicelib.notes.drafts import Options
        from chalicelib.reviews import card_store, cards, deck
        from chalicelib.reviews.scheduling import Settings
        from chalicelib.youtube.transcript_model import Transcript

        users.ensure_user(Identity(user_id=user_id, email=DEMO_EMAIL, name=DEMO_NAME,
                                   expires_at=int(time.time()) + 3600, email_verified=True))
        sample = next(s for s in samples() if s["video_id"] == REVIEW_SAMPLE)
        transcript = Transcript.from_dict(sample)
        draft = generators.finish(offline.draft(transcript, Options()), transcript)
        note = db.get(config.notes_table(), {"note_id": DEMO_NOTE_ID}, consistent=True)
        if note is None:
            title = sample["title"]
            content = markdown.render(
                draft=draft, video_id=REVIEW_SAMPLE, title=title, channel=sample["channel"],
                duration_seconds=sample["duration_seconds"], category="Biology",
                tags=["demo"], created=db.now_iso().split(".")[0] + "Z",
                generator=generators.EXTRACTIVE)
            note = dict(note_store.save_note(
                user_id=user_id, video_id=DEMO_NOTE_ID, title=title, category="Biology",
                content=content, tags=["demo"], note_id=DEMO_NOTE_ID,
                draft={"youtube_video_id": REVIEW_SAMPLE, "draft": draft,
                       "include_questions": True}))
        made = cards.from_draft(user_id=user_id, note_id=DEMO_NOTE_ID,
                                note_title=note["title"], subject=note["category"],
                                youtube_video_id=REVIEW_SAMPLE, draft=draft,
                                include_questions=True, created_at=db.now_iso())
        card_store.sync_note(user_id, DEMO_NOTE_ID, made)
        # Reviewed days ago (good, then good again): in review, and due by now.
        long_ago = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=5)
        for number, card in enumerate(made[:REVIEWED_CARDS]):
            for step in range(2):
                deck.review(user_id, card["card_id"], Settings(), rating=3,
                            review_id=f"seed-{number}-{step}",
                            at=long_ago + datetime.timedelta(minutes=15 * step))
        return len(made), min(REVIEWED_CARDS, len(made))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--state-dir", type=Path,
                        default=Path(os.environ.get("LOCAL_STATE_DIR", PROJECT_DIR / ".local")))
    args = parser.parse_args(argv)
    outputs_file = args.state_dir / "outputs.json"
    if not outputs_file.exists():
        print(f"No local stack found ({outputs_file} is missing): start it with `make run` "
              "in another shell first.", file=sys.stderr)
        return 1
    try:
        ids = seed(json.loads(outputs_file.read_text()))
    except Exception as exc:  # noqa: BLE001 - say what to do, not a traceback
        print(f"Could not reach the local stack ({type(exc).__name__}): is `make run` "
              "still going?", file=sys.stderr)
        return 1
    print(f"Demo user: {DEMO_EMAIL} / {DEMO_PASSWORD} (review cards due: GET /reviews/due)")
    for video_id in ids:
        print(f"Sample lecture: https://www.youtube.com/watch?v={video_id}")
    print(f"Sample course: https://www.youtube.com/playlist?list={SAMPLE_PLAYLIST}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
