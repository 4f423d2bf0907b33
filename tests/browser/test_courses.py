"""The Courses page (issue 24 item 7, docs/DESIGN.md sections 4, 11 and 14) in real
Chromium against the real stack: paste a playlist, see the estimate before anything is
charged, start, follow each lecture to its end, open the index note, review the course
alone; a refused link is announced and focused; axe finds nothing at 1280 and 375 px, and
nothing overflows at 375 px.

The stack runs in its own process, so yt-dlp's fake (testkit/fake_ytdlp.py, in-process)
cannot answer it; the local stage reads a seeded playlist's flat listing from
`playlists/{id}.json` in the notes bucket instead (chalicelib/courses/playlist.py), the
way `make seed` provides one. Its lectures are cached transcripts (docs/DESIGN.md
section 5); a lecture that is not cached cannot be fetched (YouTube sits behind a closed
proxy here), which is exactly "YouTube will not serve it": `needs_upload`."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from testkit.live_stack import PROJECT_DIR
from tests.browser.conftest import (
    ENGINES,
    buy_ten_in_the_sandbox,
    expect,
    lecture,
    open_page,
    sign_in,
)
from tests.browser.test_accessibility import AXE, WIDTHS, AxeWalk

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SITE_NAME = "YouTube Study Buddy"
# Written where test screenshots go (ignored by git); docs/screenshots/courses-375.png is
# a copy of one, so a test run never changes a tracked file.
SCREENSHOT = PROJECT_DIR / "tests" / "browser" / "screenshots" / "courses-375.png"
SIX_HOURS = 6 * 3600  # the longest lecture accepted: 6 credits
API_REFUSAL = "Not a YouTube playlist link"


def seed_playlist(site: Any, list_id: str, title: str,
                  entries: list[tuple[str, str, int | None]]) -> None:
    """A playlist as yt-dlp's flat extraction lists it (`_type: playlist`, entries of
    `_type: url`), where the local stage reads it. A title "[Private video]" is YouTube's
    placeholder for a video gone private (no duration)."""
    info = {"_type": "playlist", "id": list_id, "title": title, "uploader": "Browser Tests",
            "webpage_url": f"https://www.youtube.com/playlist?list={list_id}",
            "entries": [{"_type": "url", "ie_key": "Youtube", "id": video_id,
                         "url": f"https://www.youtube.com/watch?v={video_id}",
                         "title": name, "duration": seconds}
                        for video_id, name, seconds in entries]}
    s3 = boto3.client("s3", endpoint_url=site.outputs["AwsEndpointUrl"], region_name="us-east-1",
                      aws_access_key_id="local", aws_secret_access_key="local")
    s3.put_object(Bucket=site.outputs["NotesBucketName"], Key=f"playlists/{list_id}.json",
                  Body=json.dumps(info).encode(), ContentType="application/json")


def wait_for(site: Any, user: dict, course_id: str, done: Any, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        course = site.call(user, "GET", f"/courses/{course_id}").json()
        if done(course):
            return course
        assert time.monotonic() < deadline, json.dumps(course, indent=1)
        time.sleep(0.3)


def credits_of(site: Any, user: dict) -> int:
    return site.call(user, "GET", "/credits").json()["credits"]


def no_horizontal_overflow(page: Any) -> None:
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert sizes[0] <= sizes[1], f"the page is {sizes[0]} px wide in a {sizes[1]} px window"


@pytest.fixture(scope="session")
def mixed_course(site: Any) -> dict:
    """A student's course left with lectures in every lasting state: done, skipped
    (private), waiting for captions (not fetchable), waiting for credits (30 credits
    run out on six-hour lectures)."""
    for number in range(1, 6):
        long = lecture(f"sbLong0000{number}", f"Thermodynamics, long session {number}",
                       [segment["text"] for segment in ENGINES["segments"]])
        site.cache_transcript({**long, "duration_seconds": SIX_HOURS})
    entries: list[tuple[str, str, int | None]] = [
        ("sbPhysics01", "Entropy and the Second Law", 420),
        ("gonePriv001", "[Private video]", None),
        ("noCaption01", "A lecture YouTube will not serve", 1800),
    ] + [(f"sbLong0000{n}", f"Thermodynamics, long session {n}", SIX_HOURS) for n in range(1, 6)]
    seed_playlist(site, "PLbrowserMixed000001", "Thermodynamics, the long way", entries)
    user = site.register("Mixed")
    made = site.call(user, "POST", "/courses",
                     json={"url": "https://www.youtube.com/playlist?list=PLbrowserMixed000001"})
    assert made.status_code == 202, made.text
    course_id = made.json()["course_id"]
    wait_for(site, user, course_id, lambda c: c["status"] == "ready")
    started = site.call(user, "POST", f"/courses/{course_id}/start")
    assert started.status_code == 202, started.text
    settled = ("completed", "skipped", "needs_upload", "needs_credits")
    course = wait_for(site, user, course_id,
                      lambda c: all(lec["status"] in settled for lec in c["lectures"]))
    states = {lec["status"] for lec in course["lectures"]}
    assert states == set(settled), course["lectures"]
    return {**user, "course": course}


def test_paste_estimate_start_follow_open_the_index_and_review_the_course(page, site) -> None:
    user = site.register("Course Student")
    site.process(user, "sbHistory01")  # a note outside the course: its cards are not the course's
    seed_playlist(site, "PLbrowserCourse00001", "Heat and Disorder", [
        ("sbPhysics01", "Entropy and the Second Law", 420),
        ("gonePriv002", "[Private video]", None),
        ("sbEngines01", "Heat Engines and the Carnot Limit", ENGINES["duration_seconds"]),
        ("sbBiology01", "Cells", 300),
    ])
    balance = credits_of(site, user)
    sign_in(page, user)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Courses").click()
    expect(page).to_have_title(f"Courses · {SITE_NAME}")
    expect(nav.get_by_role("link", name="Courses")).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("No courses yet")).to_be_visible()

    # A watch link with &list= names the playlist.
    page.get_by_label("Playlist link, or video links one a line").fill(
        "https://www.youtube.com/watch?v=sbPhysics01&list=PLbrowserCourse00001&index=1")
    page.get_by_role("button", name="See the estimate").click()
    page.wait_for_url(re.compile(r"/courses/[0-9a-f]{32}$"))
    course_id = page.url.rsplit("/", 1)[-1]
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("Heat and Disorder")
    expect(page).to_have_title(f"Heat and Disorder · {SITE_NAME}")

    # The estimate, before anything is charged.
    estimate = page.get_by_test_id("estimate")
    expect(estimate).to_contain_text("3 (1 skipped)")
    expect(page.get_by_test_id("estimate-credits")).to_have_text("3 credits")
    expect(estimate).to_contain_text(f"You have{balance} credits")
    expect(page.get_by_test_id("course-summary")).to_have_text("Ready: 3 lectures to make. Nothing charged yet.")
    lectures = page.get_by_test_id("lecture")
    expect(lectures).to_have_count(4)
    expect(lectures.nth(1)).to_contain_text("Skipped")
    expect(lectures.nth(1)).to_contain_text("This video is private")
    expect(lectures.nth(0)).to_contain_text("Not started")
    assert credits_of(site, user) == balance

    # Start, and follow each lecture to its end (the page polls; nothing is reloaded).
    page.get_by_role("button", name="Start the course").click()
    expect(page.get_by_test_id("estimate")).to_have_count(0)
    status = page.get_by_test_id("course-status")
    expect(status).to_have_text(re.compile("Running|Completed"))
    summary = page.get_by_test_id("course-summary")
    assert summary.get_attribute("aria-live") == "polite"
    expect(status).to_have_text("Completed", timeout=90_000)
    expect(summary).to_have_text("Completed: 3 of 3 lectures done · 3 credits charged.")
    expect(page.locator("[data-testid=lecture][data-status=completed]")).to_have_count(3)
    expect(page.locator("#course-progress")).to_have_attribute("value", "100")
    expect(page.get_by_test_id("header-credits")).to_have_text(f"{balance - 3} credits")
    course = site.call(user, "GET", f"/courses/{course_id}").json()
    assert course["credits_charged"] == 3 and credits_of(site, user) == balance - 3
    # A lecture's title opens its note.
    expect(lectures.nth(0).get_by_role("link", name="Entropy and the Second Law")).to_have_attribute(
        "href", f"/notes/{course['lectures'][0]['note_id']}")

    # The index note: the lectures in order, each a [[link]] to its note.
    page.get_by_role("link", name="Open the index note").click()
    expect(heading).to_have_text("Heat and Disorder (course index)")
    index = page.locator(".markdown")
    expect(index).to_contain_text("3 of 3 lectures have notes (1 skipped: private or deleted).")
    for title in ("Entropy and the Second Law", "Heat Engines and the Carnot Limit"):
        expect(index.locator("a.wikilink", has_text=title).first).to_be_visible()
    # It has no video to delete: no Delete that would fail, but where it goes.
    expect(page.locator("main").get_by_role("button", name="Delete")).to_have_count(0)
    expect(page.get_by_test_id("index-note-delete")).to_contain_text("deleted with its course")
    expect(page.get_by_test_id("index-note-delete").get_by_role("link", name="its course")
           ).to_have_attribute("href", f"/courses/{course_id}")
    index.locator("a.wikilink", has_text="Heat Engines and the Carnot Limit").first.click()
    expect(heading).to_have_text("Heat Engines and the Carnot Limit")
    page.go_back()
    page.go_back()
    expect(heading).to_have_text("Heat and Disorder")

    # Review this course: its cards only, not the other note's.
    scoped = site.call(user, "GET", "/reviews/due", params={"course_id": course_id, "limit": 100}).json()
    everything = site.call(user, "GET", "/reviews/due", params={"limit": 100}).json()
    course_notes = {lec["note_id"] for lec in course["lectures"] if lec.get("note_id")}
    assert scoped["cards"] and {card["note_id"] for card in scoped["cards"]} <= course_notes
    waiting = scoped["due_count"] + scoped["new_count"]
    assert waiting < everything["due_count"] + everything["new_count"]
    page.get_by_role("link", name="Review this course").click()
    expect(page).to_have_url(re.compile(rf"/review\?course_id={course_id}$"))
    expect(page).to_have_title(f"Review: Heat and Disorder · {SITE_NAME}")
    expect(page.get_by_test_id("review-scope")).to_contain_text("Cards of the course Heat and Disorder only")
    expect(page.get_by_test_id("review-progress")).to_have_text(f"Card 1 of {waiting}")
    expect(page.get_by_test_id("card-front")).to_have_text(scoped["cards"][0]["front"])
    page.keyboard.press("Space")
    page.keyboard.press("3")
    expect(page.get_by_test_id("review-progress")).to_have_text(f"Card 2 of {waiting}")
    assert site.call(user, "GET", "/reviews/stats", params={"course_id": course_id}).json()["reviewed_today"] == 1

    # The list shows the course; Delete asks first, and Cancel gives the focus back.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
    row = page.get_by_role("list", name="Courses").get_by_role("listitem")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Completed")
    # The private entry is not among what was to do, as on the course page.
    expect(row).to_contain_text("3 of 3 lectures done (1 skipped)")
    delete = page.get_by_role("button", name="Delete Heat and Disorder")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()

    # In the library, the index note leads to its course instead of a Delete that fails.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    notes = page.get_by_role("list", name="Notes")
    expect(notes.get_by_role("link", name="Heat and Disorder (course index)", exact=True)).to_be_visible()
    expect(notes.get_by_role("button", name="Delete Heat and Disorder (course index)")).to_have_count(0)
    expect(notes.get_by_role("link", name="Heat and Disorder (course index): its course")
           ).to_have_attribute("href", f"/courses/{course_id}")
    expect(notes.get_by_role("button", name="Delete Entropy and the Second Law")).to_be_visible()


def test_a_refused_link_says_what_the_api_said_announced_with_the_field_focused(page, watch, site) -> None:
    watch.allow(r"status of 400")  # the refused links, on purpose
    user = site.register("Course Refused")
    sign_in(page, user, "/courses")
    posts: list[str] = []

    def record(request: Any) -> None:
        if request.method == "POST" and request.url.endswith("/courses"):
            posts.append(request.url)

    page.on("request", record)
    field = page.get_by_label("Playlist link, or video links one a line")
    send = page.get_by_role("button", name="See the estimate")

    # Empty: nothing is sent; said, and the field has the focus.
    send.click()
    announced = page.get_by_test_id("course-refused")
    expect(announced).to_have_attribute("role", "alert")
    expect(announced).to_contain_text("Paste a playlist link first")
    expect(field).to_be_focused()
    assert posts == []

    # A foreign link goes to the API; its 400 is what the student reads and hears.
    field.fill("https://vimeo.com/12345")
    send.click()
    expect(announced).to_contain_text(API_REFUSAL)
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#course-links-help")).to_contain_text(API_REFUSAL)
    assert len(posts) == 1
    expect(page).to_have_url(re.compile(r"/courses$"))
    # A Mix is not a course: the API's own words again, a fresh announcement.
    field.fill("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ")
    send.click()
    expect(announced).to_contain_text("YouTube Mix")
    expect(page.get_by_role("alert")).to_have_count(1)
    expect(field).to_be_focused()

    # Several video links need a title: its field says so and takes the focus.
    field.fill("https://youtu.be/sbPhysics01\nhttps://youtu.be/sbBiology01")
    send.click()
    title = page.get_by_label("Course title")
    expect(title).to_be_focused()
    expect(announced).to_contain_text("Give the course a title")
    assert len(posts) == 2  # checked here: nothing sent
    title.fill("My picks")
    send.click()
    page.wait_for_url(re.compile(r"/courses/[0-9a-f]{32}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My picks")
    expect(page.get_by_test_id("estimate-credits")).to_have_text("2 credits")


def test_a_lecture_the_student_has_is_free_and_one_whose_note_is_deleted_says_so(page, site) -> None:
    user = site.register("Has One")
    site.process(user, "sbPhysics01")
    sign_in(page, user, "/courses")
    page.get_by_label("Playlist link, or video links one a line").fill(
        "https://youtu.be/sbPhysics01\nhttps://youtu.be/sbBiology01")
    page.get_by_label("Course title").fill("Mine and new")
    page.get_by_role("button", name="See the estimate").click()
    page.wait_for_url(re.compile(r"/courses/[0-9a-f]{32}$"))
    course_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_test_id("estimate-credits")).to_have_text("1 credit")
    expect(page.get_by_test_id("course-summary")).to_have_text(
        "Ready: 1 lecture to make, 1 you already have. Nothing charged yet.")
    # Run to its end, then the new lecture's video deleted: no longer done, and why.
    assert site.call(user, "POST", f"/courses/{course_id}/start").status_code == 202
    course = wait_for(site, user, course_id, lambda c: c["status"] == "completed")
    made = course["lectures"][1]
    assert site.call(user, "DELETE", f"/videos/{made['video_id']}").status_code == 204
    page.reload()
    row = page.get_by_test_id("lecture").nth(1)
    expect(row).to_have_attribute("data-status", "failed")
    expect(row).to_contain_text("You deleted its note.")
    expect(row.get_by_role("link", name=made["title"], exact=True)).to_have_count(0)
    row.get_by_role("link", name=re.compile("^Make it again")).click()
    expect(page.get_by_label("YouTube link or video ID")).to_have_value(
        "https://www.youtube.com/watch?v=sbBiology01")


def test_each_lecture_state_is_shown_with_what_to_do_and_fits_375_px(phone, site, mixed_course) -> None:
    page, _watch = phone
    course = mixed_course["course"]
    sign_in(page, mixed_course, f"/courses/{course['course_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thermodynamics, the long way")
    rows = page.get_by_test_id("lecture")
    expect(rows).to_have_count(len(course["lectures"]))
    for row, lecture_state in zip(rows.all(), course["lectures"], strict=True):
        expect(row).to_have_attribute("data-status", lecture_state["status"])
    expect(page.get_by_test_id("course-status")).to_have_text("Running")
    expect(page.get_by_test_id("course-summary")).to_contain_text(
        f"{course['credits_charged']} credits charged")

    skipped = page.locator("[data-status=skipped]")
    expect(skipped).to_contain_text("Skipped")
    expect(skipped).to_contain_text("This video is private")
    # Waiting for credits: said, with the way to buy them.
    waiting = page.locator("[data-status=needs_credits]")
    expect(waiting.first).to_contain_text("Waiting for credits")
    expect(page.get_by_test_id("needs-credits").get_by_role("link", name="buy credits")).to_have_attribute("href", "/credits")
    buy = waiting.first.get_by_role("link", name=re.compile("^Buy credits for "))
    expect(buy).to_have_attribute("href", "/credits")
    # Waiting for captions: the message, and the single video's upload flow with its link.
    upload_row = page.locator("[data-status=needs_upload]")
    expect(upload_row).to_contain_text("Needs captions")
    expect(upload_row).to_contain_text("YouTube could not be reached")
    no_horizontal_overflow(page)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    upload_row.get_by_role("link", name="Upload captions for A lecture YouTube will not serve").click()
    expect(page).to_have_title(f"Make study notes · {SITE_NAME}")
    expect(page.get_by_label("YouTube link or video ID")).to_have_value(
        "https://www.youtube.com/watch?v=noCaption01")
    expect(page.get_by_label("Upload a .vtt or .srt file when YouTube will not serve this video")).to_be_visible()


def test_deleting_a_course_returns_focus_then_goes_back_to_the_list(page, site) -> None:
    user = site.register("Course Deleter")
    made = site.call(user, "POST", "/courses", json={"title": "To delete", "videos": ["sbPhysics01"]})
    assert made.status_code == 202, made.text
    course_id = made.json()["course_id"]
    sign_in(page, user, f"/courses/{course_id}")
    delete = page.get_by_role("button", name="Delete course")
    delete.click()
    dialog = page.get_by_role("dialog", name="Delete this course?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    delete.click()
    dialog.get_by_role("button", name="Delete course").click()
    expect(page).to_have_url(re.compile(r"/courses$"))
    expect(page.get_by_test_id("flash")).to_contain_text("Deleted the course “To delete”")
    assert site.call(user, "GET", f"/courses/{course_id}").status_code == 404


@pytest.fixture(params=list(WIDTHS))
def axe_page(request: pytest.FixtureRequest, browser: Any, site: Any) -> Iterator[Any]:
    for page, watch in open_page(browser, site, request, viewport=WIDTHS[request.param]):
        watch.allow(r"status of 400")  # the refused link, on purpose
        page.context.add_init_script(path=str(AXE))
        yield page


def test_axe_finds_nothing_on_the_courses_pages_at_either_width(axe_page, site, mixed_course) -> None:
    page = axe_page
    walk = AxeWalk(page, also=no_horizontal_overflow)
    check = walk.check

    course = mixed_course["course"]
    sign_in(page, mixed_course, "/courses")
    page.get_by_role("list", name="Courses").wait_for()
    check("courses")
    page.get_by_label("Playlist link, or video links one a line").fill("https://vimeo.com/12345")
    page.get_by_role("button", name="See the estimate").click()
    page.get_by_test_id("course-refused").wait_for(state="attached")
    check("courses, link refused")
    page.goto(f"/courses/{course['course_id']}")
    page.get_by_test_id("lecture").first.wait_for()
    check("course with lectures in every state")
    page.get_by_role("button", name="Delete course").click()
    page.get_by_role("dialog").wait_for()
    check("delete dialog")
    page.keyboard.press("Escape")
    # A course ready to start: its estimate.
    made = site.call(mixed_course, "POST", "/courses",
                     json={"title": "Estimate only", "videos": ["sbPhysics01", "sbBiology01"]})
    page.goto(f"/courses/{made.json()['course_id']}")
    page.get_by_test_id("estimate").wait_for()
    check("course estimate")
    walk.assert_clean()


def test_a_purchase_says_what_it_bought_when_waiting_lectures_spend_at_once(page, site) -> None:
    # A six-hour lecture waits for credits; buying 10 sends it on in the webhook itself,
    # so the balance rises by less than 10. The page says what was bought, and where
    # the rest went, not the balance's difference.
    long = lecture("sbBuyLong01", "Thermodynamics, one long session",
                   [segment["text"] for segment in ENGINES["segments"]])
    site.cache_transcript({**long, "duration_seconds": SIX_HOURS})
    seed_playlist(site, "PLbrowserBuy00000001", "One short, one long", [
        ("sbPhysics01", "Entropy and the Second Law", 420),
        ("sbBuyLong01", "Thermodynamics, one long session", SIX_HOURS)])
    user = site.register("Buyer")
    # One credit left, as `make credits` takes them: the first lecture, not the second.
    taken = subprocess.run([sys.executable, "-m", "infra.local.credits", "--email", user["email"],
                            "--credits", str(1 - credits_of(site, user)), "--state-dir",
                            str(site.stack.state_dir)], cwd=PROJECT_DIR, capture_output=True,
                           text=True, timeout=60)
    assert taken.returncode == 0, taken.stdout + taken.stderr
    made = site.call(user, "POST", "/courses",
                     json={"url": "https://www.youtube.com/playlist?list=PLbrowserBuy00000001"})
    course_id = made.json()["course_id"]
    wait_for(site, user, course_id, lambda c: c["status"] == "ready")
    assert site.call(user, "POST", f"/courses/{course_id}/start").status_code == 202
    wait_for(site, user, course_id, lambda c: [lec["status"] for lec in c["lectures"]]
             == ["completed", "needs_credits"])
    assert credits_of(site, user) == 0
    sign_in(page, user, "/credits")
    buy_ten_in_the_sandbox(page, site)
    notice = page.get_by_test_id("checkout-notice")
    expect(notice).to_contain_text("Payment received: 10 credits added.", timeout=30_000)
    assert credits_of(site, user) < 10  # the waiting lecture went on at once
    expect(notice).to_contain_text(re.compile(r"\d+ credits? of your balance went at once to "
                                              r"lectures waiting for credits"))
