"""A note from uploaded captions takes its title from the request's `title` (the
student's, or the file's name the web client sends), else YouTube's title if known,
else a neutral one; never a keyword the writer picked (issue 21, item 5; docs/DESIGN.md
section 7). The title reaches the front matter and the H1 as plain text."""
from __future__ import annotations

import json
import re

from chalicelib.core import aws
from testkit.lectures import lecture, new_video_id
from tests.conftest import call
from tests.processing.test_pipeline import (  # noqa: F401  (fixtures)
    claude,
    note_of,
    submit,
    video_of,
    work,
    youtube,
)
from tests.processing.test_uploads import rolling_vtt, srt


def upload(client, user, youtube_id: str | None = None, text: str | None = None,
           **body) -> str:
    response = call(client, "POST", "/videos", token=user["id_token"], body={
        "url": f"https://youtu.be/{youtube_id or new_video_id()}",
        "transcript": text or rolling_vtt(5), **body})
    assert response.status_code == 202, response.body
    return str(response.json_body["video_id"])


def finished_note(client, stack, user, video_id: str) -> dict:
    work(stack)
    done = video_of(client, user, video_id)
    assert done["status"] == "completed", done
    return {**note_of(client, user, done["note_id"]), "video": done}


def front_matter_title(content: str) -> str:
    line = next(line for line in content.split("\n") if line.startswith("title: "))
    return str(json.loads(line.removeprefix("title: ")))


def h1(content: str) -> list[str]:
    return [line for line in content.split("\n") if line.startswith("# ")]


def test_the_title_sent_titles_the_note_not_the_models(client, stack, user, youtube,
                                                         claude):
    video_id = upload(client, user, title="Osmosis and Cell Membranes")
    note = finished_note(client, stack, user, video_id)
    assert "\ngenerator: claude-" in note["content"]  # the model wrote it, titled its own way
    assert note["title"] == note["video"]["title"] == "Osmosis and Cell Membranes"
    content = note["content"]
    assert front_matter_title(content) == "Osmosis and Cell Membranes"
    assert h1(content) == ["# Osmosis and Cell Membranes"]
    assert "Thermodynamics from first principles" not in content  # the model's title


def test_the_file_name_the_web_client_sends_titles_the_offline_note(client, stack, user,
                                                                      youtube):
    video_id = upload(client, user, text=srt(5), title="week_03-Entropy_and_Heat.srt")
    note = finished_note(client, stack, user, video_id)
    assert "\ngenerator: extractive\n" in note["content"]
    assert note["title"] == "week 03 Entropy and Heat"
    assert front_matter_title(note["content"]) == "week 03 Entropy and Heat"
    assert h1(note["content"]) == ["# week 03 Entropy and Heat"]


def test_without_a_title_the_note_is_never_titled_by_a_keyword(client, stack, user, youtube):
    youtube_id = new_video_id()
    note = finished_note(client, stack, user, upload(client, user, youtube_id))
    # The offline writer would title it with a phrase of the text ("Entropy", ...).
    assert note["title"] == f"Uploaded captions ({youtube_id})"
    assert front_matter_title(note["content"]) == note["title"]
    assert h1(note["content"]) == [f"# Uploaded captions ({youtube_id})"]
    assert note["video"]["title"] is None  # the video has no title of its own


def test_without_a_title_youtubes_title_is_used_when_known(client, stack, user, youtube):
    known = lecture(5)
    aws.client("s3").put_object(
        Bucket=stack["NotesBucketName"], Key=f"transcripts/{known.video_id}.json",
        Body=json.dumps({"video_id": known.video_id, "title": "Entropy, Explained Slowly",
                         "channel": "Prof. Example", "duration_seconds": 300,
                         "language": "en", "is_generated": False, "chapters": [],
                         "segments": [{"text": "Cached words.", "start": 0, "duration": 2}]}))
    note = finished_note(client, stack, user, upload(client, user, known.video_id, title=" "))
    assert note["title"] == note["video"]["title"] == "Entropy, Explained Slowly"
    assert "Cached words" not in note["content"]  # the upload's text made the note
    assert "\ntranscript: uploaded\n" in note["content"]
    assert youtube.requests == []


def test_a_repeated_title_gets_a_suffix(client, stack, user, youtube):
    first = upload(client, user, title="Entropy")
    second = upload(client, user, title="Entropy")
    work(stack)
    titles = sorted(note_of(client, user, video_of(client, user, v)["note_id"])["title"]
                    for v in (first, second))
    assert titles == ["Entropy", "Entropy (2)"]


def test_a_hostile_title_is_plain_text_in_the_note(client, stack, user, youtube):
    hostile = ("<script>alert(1)</script>\n# heading\n> [!note] callout [[x]] "
               "[y](javascript:alert(1)) ![](data:image/png;base64,AA)\x00\x1b\u202e end")
    note = finished_note(client, stack, user, upload(client, user, title=hostile))
    title = note["title"]
    assert title == ("<script>alert(1)</script> # heading > [!note] callout [[x]] "
                     "[y](javascript:alert(1)) ![](data:image/png;base64,AA) end")
    content = note["content"]
    assert front_matter_title(content) == title
    assert h1(content) == [
        "# \\<script>alert(1)\\</script> # heading > \\[!note] callout \\[\\[x]] "
        "\\[y](javascript:alert(1)) !\\[](data:image/png;base64,AA) end"]
    body = content.split("\n---\n", 1)[1]  # the front matter's title is a quoted string
    lines = body.split("\n")
    assert not any(line.startswith(("> [!note]", "<script", "# heading")) for line in lines)
    assert "[[x]]" not in body and not re.search(r"(?<!\\)\[y\]\(javascript:", body)
    assert "\x00" not in content and "\u202e" not in content and "\x1b" not in content


def test_a_title_that_opens_a_block_stays_inside_the_h1(client, stack, user, youtube):
    for title, heading in (("# heading", "# \\# heading"),
                           ("> [!note] callout", "# \\> \\[!note] callout"),
                           ("---", "# \\---")):
        note = finished_note(client, stack, user, upload(client, user, title=title))
        assert note["title"] == title
        assert front_matter_title(note["content"]) == title
        assert h1(note["content"]) == [heading], title


def test_a_200_character_title_is_kept_whole(client, stack, user, youtube):
    title = ("Osmosis " * 25).strip()[:200]
    note = finished_note(client, stack, user, upload(client, user, title=title + "x" * (
        200 - len(title))))
    assert len(note["title"]) == 200 and note["title"].startswith("Osmosis Osmosis")
    assert front_matter_title(note["content"]) == note["title"]


def test_a_youtube_video_keeps_its_metadata_title(client, stack, user, youtube):
    video = youtube.add(lecture(5))
    submitted = submit(client, user, video)
    note = finished_note(client, stack, user, submitted["video_id"])
    assert note["title"] == "Thermodynamics 101: Entropy"
    assert h1(note["content"]) == ["# Thermodynamics 101: Entropy"]
