"""Uploaded captions end to end over HTTP (docs/DESIGN.md section 4): POST /videos with
`transcript`, validated, stored for that user only, priced by its last cue, and the
note saying `transcript: uploaded`."""
from __future__ import annotations

import json

from chalicelib.core import aws
from testkit.lectures import SENTENCES, lecture, new_video_id
from tests.conftest import call, ledger_total
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    note_of,
    submit,
    video_of,
    work,
    youtube,
)
from tests.processing.test_transcript_failures import cached


def clock(seconds: float, sep: str = ".") -> str:
    whole = int(seconds)
    millis = int(round((seconds - whole) * 1000))
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}{sep}{millis:03d}"


def rolling_vtt(minutes: float) -> str:
    """YouTube's automatic captions as a downloaded WebVTT file: each cue repeats the
    previous line, with a 10 ms cue in between."""
    cues, start, previous = ["WEBVTT", "Kind: captions", "Language: en", ""], 0.0, ""
    index = 0
    while start < minutes * 60:
        line = SENTENCES[index % len(SENTENCES)]
        cues += [f"{clock(start)} --> {clock(start + 3.99)} align:start position:0%",
                 previous or " ", line.replace(" ", "<00:00:00.500><c> ", 1) + "</c>", "",
                 f"{clock(start + 3.99)} --> {clock(start + 4)} align:start position:0%",
                 line, " ", ""]
        previous, start, index = line, start + 4, index + 1
    return "\n".join(cues)


def srt(minutes: float) -> str:
    blocks, start = [], 0.0
    for index in range(int(minutes * 60 // 4)):
        blocks.append(f"{index + 1}\n{clock(start, ',')} --> {clock(start + 3.8, ',')}\n"
                      f"{SENTENCES[index % len(SENTENCES)]}\n")
        start += 4
    return "\n".join(blocks)


def post(client, user, youtube_id: str, transcript: str):
    return call(client, "POST", "/videos", token=user["id_token"],
                body={"url": f"https://youtu.be/{youtube_id}", "transcript": transcript})


def test_uploaded_captions_make_the_note_without_asking_youtube(client, stack, user,
                                                               youtube):
    youtube_id = new_video_id()
    response = post(client, user, youtube_id, rolling_vtt(10))
    assert response.status_code == 202, response.body
    video_id = response.json_body["video_id"]
    stored = json.loads(aws.client("s3").get_object(
        Bucket=stack["NotesBucketName"],
        Key=f"uploads/{user['user_id']}/{video_id}.json")["Body"].read())
    texts = [s["text"] for s in stored["segments"]]
    assert texts[:2] == SENTENCES[:2]  # the rolling repeats are gone
    assert len(texts) == 150 and stored["duration_seconds"] == 600

    assert work(stack) == 1
    done = video_of(client, user, video_id)
    assert done["status"] == "completed" and done["credits_charged"] == 1
    assert done["duration_seconds"] == 600
    content = note_of(client, user, done["note_id"])["content"]
    assert "\ntranscript: uploaded\n" in content and "\nlanguage: en\n" in content
    assert youtube.requests == []  # YouTube was never asked
    assert cached(stack, youtube_id) is None  # never in the shared cache


def test_another_student_never_gets_a_strangers_upload(client, stack, user, other_user,
                                                       youtube):
    video = youtube.add(lecture(10))
    stranger = post(client, user, video.video_id,
                    "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nA stranger's made-up words.\n")
    assert stranger.status_code == 202
    theirs = submit(client, other_user, video)
    assert work(stack) == 2

    done = video_of(client, other_user, theirs["video_id"])
    content = note_of(client, other_user, done["note_id"])["content"]
    assert "stranger" not in content and "\ntranscript: youtube\n" in content
    assert cached(stack, video.video_id)["segments"][0]["text"].startswith("Today we study")


def test_an_srt_upload_is_priced_by_its_last_cue(client, stack, user, youtube):
    response = post(client, user, new_video_id(), srt(61))
    assert response.status_code == 202, response.body
    work(stack)
    done = video_of(client, user, response.json_body["video_id"])
    assert done["status"] == "completed"
    assert done["duration_seconds"] == 3660  # the last cue ends at 3659.8 s
    assert done["credits_charged"] == 2
    assert ledger_total(client, user) == (1, 1)


def test_a_bad_file_is_a_400_naming_its_line_and_costs_nothing(client, stack, user):
    bad = "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nfine\n\n00:00:05.000 --> 00:0x:06.000\nno\n"
    response = post(client, user, new_video_id(), bad)
    assert response.status_code == 400
    assert response.json_body["Message"].startswith(
        "transcript is not a valid WebVTT or SRT file: line 6: unreadable cue timing")
    for text in ("", "just some words\n", "1\n00:00:09,000 --> 00:00:02,000\nbackwards\n"):
        refused = post(client, user, new_video_id(), text)
        assert refused.status_code == 400, text
    assert "line 2: the cue ends before it starts" in refused.json_body["Message"]
    assert ledger_total(client, user) == (3, 3)
    assert call(client, "GET", "/videos", token=user["id_token"]).json_body["count"] == 0


def test_uploads_over_2_mib_are_413_on_post_videos_only(client, stack, user):
    cue = "00:00:01.000 --> 00:00:02.000\n" + "x" * 1000 + "\n\n"
    big = "WEBVTT\n\n" + cue * (2 * 1024 + 10)
    response = post(client, user, new_video_id(), big)
    assert response.status_code == 413
    assert "2 MiB" in response.json_body["Message"]
    small_route = call(client, "PUT", "/user", token=user["id_token"],
                       body={"name": "x" * (100 * 1024)})
    assert small_route.status_code == 413


def test_deleting_the_video_deletes_its_upload(client, stack, user):
    response = post(client, user, new_video_id(),
                    "WEBVTT\n\n00:00:00.000 --> 00:00:05.000\nHello.\n")
    video_id = response.json_body["video_id"]
    assert call(client, "DELETE", f"/videos/{video_id}",
                token=user["id_token"]).status_code == 204
    listed = aws.client("s3").list_objects_v2(Bucket=stack["NotesBucketName"],
                                              Prefix=f"uploads/{user['user_id']}/")
    assert listed.get("KeyCount", 0) == 0


def test_text_far_beyond_speech_for_the_cue_times_is_refused(client, stack, user):
    # Priced by the last cue, so 5 seconds of cues cannot carry a book (DESIGN section 6).
    words = " ".join(["entropy"] * 2000)
    response = post(client, user, new_video_id(),
                    f"WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n{words}\n")
    assert response.status_code == 400
    assert "more than anyone can say" in response.json_body["Message"]
    assert ledger_total(client, user) == (3, 3)
