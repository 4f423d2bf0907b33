"""POST /videos reads the `title` of uploaded captions (issue 21, item 5; docs/DESIGN.md
sections 4 and 7): only with `transcript`, at most 200 characters, cleaned like any
outside text, a caption file's name read as words; stored with the upload and shown
on the video while it waits. What the note is then titled: tests/processing."""
from __future__ import annotations

import json

import pytest

from chalicelib.core import aws
from testkit.lectures import new_video_id
from tests.conftest import call, ledger_total

CAPTIONS = ("WEBVTT\n\n00:00:00.000 --> 00:00:05.000\n"
            "Osmosis moves water across a membrane.\n")


def post(client, user, **body):
    return call(client, "POST", "/videos", token=user["id_token"],
                body={"url": f"https://youtu.be/{new_video_id()}", **body})


def stored_upload(stack, user, video_id: str) -> dict:
    return json.loads(aws.client("s3").get_object(
        Bucket=stack["NotesBucketName"],
        Key=f"uploads/{user['user_id']}/{video_id}.json")["Body"].read())


def test_the_title_sent_with_captions_is_the_videos_at_once_and_stored(client, stack, user):
    response = post(client, user, transcript=CAPTIONS, title="  Osmosis and Cell Membranes ")
    assert response.status_code == 202, response.body
    video = response.json_body
    assert video["title"] == "Osmosis and Cell Membranes"  # trimmed
    listed = call(client, "GET", f"/videos/{video['video_id']}", token=user["id_token"])
    assert listed.json_body["title"] == "Osmosis and Cell Membranes"
    assert stored_upload(stack, user, video["video_id"])["title"] == "Osmosis and Cell Membranes"


@pytest.mark.parametrize("sent, title", [
    ("week_03-osmosis.vtt", "week 03 osmosis"),
    ("Osmosis_Lecture.SRT", "Osmosis Lecture"),
    ("Cell Transport [dQw4w9WgXcQ].en-US.vtt", "Cell Transport"),  # as yt-dlp names it
    ("biology.de.srt", "biology"),
    ("Self-Study notes", "Self-Study notes"),  # no file name: the words stay as typed
    ("notes.txt", "notes.txt"),
])
def test_a_caption_files_name_reads_as_words(client, stack, user, sent, title):
    response = post(client, user, transcript=CAPTIONS, title=sent)
    assert response.status_code == 202, response.body
    assert response.json_body["title"] == title


def test_control_and_format_characters_go_and_markdown_stays_text(client, stack, user):
    hostile = ("<script>alert(1)</script>\n# heading\r\n> [!note] [[x]]\t\x00\x1b[31m"
               "\u202egnp.exe\u200b end")
    response = post(client, user, transcript=CAPTIONS, title=hostile)
    assert response.status_code == 202, response.body
    title = response.json_body["title"]
    assert title == "<script>alert(1)</script> # heading > [!note] [[x]] [31mgnp.exe end"
    assert stored_upload(stack, user, response.json_body["video_id"])["title"] == title


@pytest.mark.parametrize("sent", ["", "   ", "\x00\x07\u200b", ".vtt", "\n\t"])
def test_a_title_empty_once_cleaned_is_no_title(client, stack, user, sent):
    response = post(client, user, transcript=CAPTIONS, title=sent)
    assert response.status_code == 202, response.body
    assert response.json_body["title"] is None
    assert stored_upload(stack, user, response.json_body["video_id"])["title"] == ""


def test_a_title_over_200_characters_is_a_400_and_costs_nothing(client, stack, user):
    for sent in ("x" * 201, "Osmosis " * 1280):  # the second is 10 kB
        response = post(client, user, transcript=CAPTIONS, title=sent)
        assert response.status_code == 400, len(sent)
        assert response.json_body["Message"] == "'title' must be at most 200 characters"
    exact = post(client, user, transcript=CAPTIONS, title="y" * 200)
    assert exact.status_code == 202 and exact.json_body["title"] == "y" * 200
    assert ledger_total(client, user) == (2, 2)  # the signup bonus less one reservation
    assert call(client, "GET", "/videos", token=user["id_token"]).json_body["count"] == 1


@pytest.mark.parametrize("body", [
    {"title": "My lecture"},
    {"title": "My lecture", "transcript": None},
    {"title": ""},
])
def test_a_title_without_captions_is_a_400_saying_why(client, stack, user, body):
    response = post(client, user, **body)
    assert response.status_code == 400
    message = response.json_body["Message"]
    assert "'title'" in message and "only with 'transcript'" in message
    assert ledger_total(client, user) == (3, 3)
    assert call(client, "GET", "/videos", token=user["id_token"]).json_body["count"] == 0


@pytest.mark.parametrize("title", [42, ["a"], {"a": 1}, True])
def test_a_title_that_is_not_text_is_a_400(client, stack, user, title):
    response = post(client, user, transcript=CAPTIONS, title=title)
    assert response.status_code == 400
    assert response.json_body["Message"] == "'title' must be a string"


def test_a_null_title_is_no_title(client, stack, user):
    assert post(client, user, title=None).status_code == 202
    response = post(client, user, transcript=CAPTIONS, title=None)
    assert response.status_code == 202 and response.json_body["title"] is None


def test_the_description_documents_the_title():
    from chalicelib.http import openapi

    body = openapi.document()["paths"]["/videos"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    assert schema["properties"]["title"]["maxLength"] == 200
    assert schema["dependentRequired"] == {"title": ["transcript"]}
