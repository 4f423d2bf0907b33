"""The Review page (issue 22 item 5, docs/DESIGN.md sections 4, 11 and 12) in real
Chromium against the real stack: the cards are the ones processing a seeded lecture
made, the reviews are recorded by the real API, and GET /reviews/stats (called with the
student's own token) says what was counted."""
from __future__ import annotations

import math
import re
import time
from typing import Any

import pytest

from tests.browser.conftest import expect, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TITLE = "Review · YouTube Study Buddy"
NAMES = ["Again", "Hard", "Good", "Easy"]
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def js_round(value: float) -> int:
    return math.floor(value + 0.5)


def interval(seconds: float) -> str:
    """What the rating buttons say (pages/Review.tsx humanInterval, as a reader reads it)."""
    if seconds < 60:
        return "<1 min"
    minutes = seconds / 60
    if minutes < 59.5:
        return f"{js_round(minutes)} min"
    hours = minutes / 60
    if hours < 23.5:
        return f"{js_round(hours)} h"
    days = hours / 24
    if days < 29.5:
        return f"{js_round(days)} d"
    if days / 30 < 11.5:
        return f"{js_round(days / 30)} mo"
    return f"{js_round(days / 365 * 10) / 10:g} y"


def due_list(site: Any, user: dict) -> dict:
    answer = site.call(user, "GET", "/reviews/due", params={"limit": 20})
    assert answer.status_code == 200, answer.text
    return answer.json()


def reviewed_today(site: Any, user: dict) -> int:
    answer = site.call(user, "GET", "/reviews/stats")
    assert answer.status_code == 200, answer.text
    return answer.json()["reviewed_today"]


def student_with_cards(site: Any) -> tuple[dict, dict, dict]:
    """A new student, their processed physics lecture, and what is due for them."""
    user = site.register("Reviewer")
    video = site.process(user, "sbPhysics01")
    # The worker makes the cards just after it marks the video completed (a note's cards
    # are one transaction: all or none): wait for them.
    deadline = time.monotonic() + 30
    while not (due := due_list(site, user))["cards"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert due["cards"] and due["due_count"] + due["new_count"] >= 4, due
    return user, video, due


def record_posts(page: Any) -> list[tuple[str, dict]]:
    sent: list[tuple[str, dict]] = []
    page.on("request", lambda r: r.method == "POST" and "/reviews/" in r.url
            and sent.append((r.url, r.post_data_json)))
    return sent


def seconds_of(url: str) -> int:
    found = re.search(r"[?&]t=(\d+)s?(?:&|$)", url)
    assert found, url
    return int(found.group(1))


def clock(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def sign_in_here(page: Any, user: dict) -> None:
    """Signs in on the sign-in screen already shown (no reload: the app keeps its state)."""
    page.get_by_label("Email", exact=True).fill(user["email"])
    page.get_by_label("Password", exact=True).fill(user["password"])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()


def test_reveal_by_space_rate_good_by_key_3_and_the_count_drops(page, site) -> None:
    user, _video, due = student_with_cards(site)
    waiting = due["due_count"] + due["new_count"]
    first, second = due["cards"][0], due["cards"][1]
    sent = record_posts(page)
    sign_in(page, user)

    # The navigation shows how many cards wait.
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Review"))
    expect(link).to_have_accessible_name(f"Review {waiting} due")
    link.click()
    expect(page).to_have_title(TITLE)
    expect(link).to_have_attribute("aria-current", "page")
    progress = page.get_by_test_id("review-progress")
    expect(progress).to_have_text(f"Card 1 of {waiting}")
    expect(page.get_by_test_id("review-announce")).to_have_text(f"Card 1 of {waiting}")

    # The front, as text; the answer hidden.
    expect(page.get_by_test_id("card-front")).to_have_text(first["front"])
    expect(page.get_by_test_id("card-back")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("^(Again|Hard|Good|Easy)"))).to_have_count(0)
    show = page.get_by_role("button", name="Show answer")
    expect(show).to_have_attribute("aria-keyshortcuts", "Space")

    # Keys typed into a field are not shortcuts.
    page.evaluate("""() => { const field = document.createElement('input');
        field.id = 'typing-probe'; field.setAttribute('aria-label', 'probe');
        document.body.append(field); field.focus(); }""")
    page.keyboard.type(" 3")
    expect(page.get_by_test_id("card-back")).to_have_count(0)
    page.locator("#typing-probe").evaluate("field => field.remove()")

    # Space shows the answer, the quote and where it is said.
    page.keyboard.press("Space")
    back = page.get_by_test_id("card-back")
    expect(back).to_be_visible()
    expect(back).to_be_focused()
    expect(show).to_have_count(0)
    expect(page.get_by_test_id("card-quote")).to_have_text(first["quote"])
    assert page.locator("blockquote[data-testid='card-quote']").count() == 1
    if " ".join(first["back"].split()).lower() != " ".join(first["quote"].split()).lower():
        expect(page.get_by_test_id("card-answer")).to_have_text(first["back"])
    expect(back).to_contain_text(first["back"])
    second_of_video = seconds_of(first["url"])
    rewatch = page.get_by_role("link", name=f"Rewatch {clock(second_of_video)}")
    expect(rewatch).to_have_attribute("href", first["url"])
    assert re.match(r"^https://www\.youtube\.com/watch\?v=sbPhysics01&t=\d+s$", first["url"])
    expect(rewatch).to_have_attribute("target", "_blank")
    assert "noopener" in rewatch.get_attribute("rel")

    # Four ratings, each with the interval it would give, non-decreasing.
    group = page.get_by_role("group", name="How well did you remember it?")
    buttons = group.get_by_role("button")
    expect(buttons).to_have_count(4)
    shown = []
    for number, name in enumerate(NAMES, start=1):
        seconds = first["next_intervals"][str(number)]
        button = group.get_by_role("button", name=f"{name} {interval(seconds)}", exact=True)
        expect(button).to_have_attribute("aria-keyshortcuts", str(number))
        shown.append(int(button.get_attribute("data-seconds")))
    assert shown == [first["next_intervals"][str(n)] for n in range(1, 5)]
    assert shown == sorted(shown), shown

    # 3 rates Good: one POST with rating 3 and a fresh review_id; then the next card.
    page.keyboard.press("3")
    expect(progress).to_have_text(f"Card 2 of {waiting}")
    expect(page.get_by_test_id("card-front")).to_have_text(second["front"])
    expect(page.get_by_test_id("card-back")).to_have_count(0)
    expect(page.get_by_test_id("card-front")).to_be_focused()
    assert len(sent) == 1, sent
    url, body = sent[0]
    assert url.endswith(f"/reviews/{first['card_id']}")
    assert body["rating"] == 3 and UUID.match(body["review_id"]), body
    assert isinstance(body.get("duration_ms"), int) and body["duration_ms"] >= 0
    expect(link).to_have_accessible_name(f"Review {waiting - 1} due")
    assert reviewed_today(site, user) == 1

    # Rated by a click this time: another review, another review_id.
    page.get_by_role("button", name="Show answer").click()
    group.get_by_role("button", name=re.compile("^Easy ")).click()
    expect(progress).to_have_text(f"Card 3 of {waiting}")
    assert [b["rating"] for _, b in sent] == [3, 4]
    assert sent[1][0].endswith(f"/reviews/{second['card_id']}")
    assert sent[1][1]["review_id"] != body["review_id"]
    expect(link).to_have_accessible_name(f"Review {waiting - 2} due")
    assert reviewed_today(site, user) == 2

    # "3" twice in one go (before the page can redraw): one review, not two.
    page.keyboard.press("Space")
    page.get_by_role("group", name="How well did you remember it?").wait_for()  # revealed
    page.evaluate("""() => { for (let i = 0; i < 2; i++)
        window.dispatchEvent(new KeyboardEvent('keydown', {key: '3', bubbles: true})); }""")
    expect(progress).to_have_text(f"Card 4 of {waiting}")
    page.wait_for_timeout(300)  # time for a second request, were there one
    assert [b["rating"] for _, b in sent] == [3, 4, 3]
    expect(progress).to_have_text(f"Card 4 of {waiting}")
    assert reviewed_today(site, user) == 3


def test_rewatch_seeks_the_open_player_or_opens_youtube_at_that_second(page, watch, site) -> None:
    user, _video, due = student_with_cards(site)
    first = due["cards"][0]
    second_of_video = seconds_of(first["url"])
    sign_in(page, user, "/review")
    expect(page.get_by_test_id("card-front")).to_have_text(first["front"])
    page.keyboard.press("Space")
    rewatch = page.get_by_role("link", name=f"Rewatch {clock(second_of_video)}")

    # Without the player: YouTube, in a new tab, at that second (blocked offline here).
    with page.context.expect_page() as opened:
        rewatch.click()
    opened.value.close()
    assert first["url"] in watch.blocked, watch.blocked

    # With YouTube's embed open (a stub here), Rewatch seeks it and stays on the page.
    page.get_by_role("button", name="Watch alongside").click()
    expect(page.get_by_test_id("player-state")).to_have_text("Rewatch now plays here.")
    player = next(f for f in page.frames if "youtube-nocookie.com/embed/sbPhysics01" in f.url)
    blocked_before = len(watch.blocked)
    rewatch.click()
    player.wait_for_function("window.received.some(m => m.func === 'seekTo')")
    seeks = [m for m in player.evaluate("window.received")
             if isinstance(m, dict) and m.get("func") == "seekTo"]
    assert [(m["event"], m["args"]) for m in seeks] == [("command", [second_of_video, True])]
    assert len(page.context.pages) == 1 and len(watch.blocked) == blocked_before
    expect(page.get_by_test_id("review-announce")).to_have_text(f"Playing from {clock(second_of_video)}")


def test_a_retried_review_keeps_its_review_id_and_counts_once(page, watch, site) -> None:
    """The first POST reaches the server, which records it, but its answer is lost (the
    network fails): the student rates again, the client sends the same review_id, and the
    review counts once. Rated differently on the retry, the first rating stands."""
    watch.allow(r"Failed to load resource: net::ERR_FAILED")
    watch.allow(r"status of 409")  # the retry with another rating: the client resolves it
    user, _video, due = student_with_cards(site)
    waiting = due["due_count"] + due["new_count"]
    sent = record_posts(page)
    lost: list[int] = []

    def lose_the_answer(route: Any) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)  # recorded by the real API...
            route.abort("failed")  # ...but the page never hears back
        else:
            route.continue_()

    page.route(re.compile(r"/reviews/[^/?]+$"), lose_the_answer)
    sign_in(page, user, "/review")
    progress = page.get_by_test_id("review-progress")
    expect(progress).to_have_text(f"Card 1 of {waiting}")
    page.keyboard.press("Space")
    page.get_by_role("group", name="How well did you remember it?").wait_for()  # revealed
    page.keyboard.press("3")
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
    assert lost == [200]
    expect(progress).to_have_text(f"Card 1 of {waiting}")  # still this card
    assert reviewed_today(site, user) == 1

    page.get_by_role("button", name=re.compile("^Good ")).click()
    expect(progress).to_have_text(f"Card 2 of {waiting}")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert [b["rating"] for _, b in sent] == [3, 3]
    assert sent[0][1]["review_id"] == sent[1][1]["review_id"]
    assert reviewed_today(site, user) == 1  # counted once

    # Again, lost; the student then presses Easy: the recorded Again stands, once.
    lost.clear()
    page.keyboard.press("Space")
    page.get_by_role("group", name="How well did you remember it?").wait_for()  # revealed
    page.keyboard.press("1")
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
    page.keyboard.press("4")
    expect(progress).to_have_text(f"Card 3 of {waiting}")
    expect(page.get_by_test_id("review-notice")).to_have_text("Your first answer, Again, had already been recorded.")
    tries = sent[2:]
    assert [b["rating"] for _, b in tries] == [1, 4, 1], tries
    assert len({b["review_id"] for _, b in tries}) == 1
    assert tries[0][1]["review_id"] != sent[0][1]["review_id"]
    assert reviewed_today(site, user) == 2


def test_finishing_every_card_shows_the_session_summary(page, site) -> None:
    user, _video, due = student_with_cards(site)
    waiting = due["due_count"] + due["new_count"]
    assert len(due["cards"]) == waiting  # one page holds them all
    # Good and Easy by keys and clicks; Hard once; Again last (due again in a minute).
    plan = [3, 4, 3, 2, 4, 3, 3, 3, 3, 3][: waiting - 1] + [1]
    sent = record_posts(page)
    sign_in(page, user, "/review")
    progress = page.get_by_test_id("review-progress")
    for index, rating in enumerate(plan):
        expect(progress).to_have_text(f"Card {index + 1} of {waiting}")
        if index % 2:
            page.get_by_role("button", name="Show answer").click()
        else:
            page.keyboard.press("Space")
        page.get_by_role("group", name="How well did you remember it?").wait_for()
        if index % 2:
            page.keyboard.press(str(rating))
        else:
            page.get_by_role("button", name=re.compile(f"^{NAMES[rating - 1]} ")).click()
        expect(page.locator("[data-testid=review-progress], [data-testid=review-summary]")).not_to_have_text(
            f"Card {index + 1} of {waiting}")

    summary = page.get_by_test_id("review-summary")
    expect(summary).to_be_visible()
    expect(page.get_by_role("heading", name="Session complete")).to_be_focused()
    expect(page.get_by_test_id("summary-reviewed")).to_have_text(str(waiting))
    for number, name in enumerate(NAMES, start=1):
        expect(page.get_by_test_id(f"summary-{name.lower()}")).to_have_text(str(plan.count(number)))
    expect(page.get_by_test_id("summary-time")).to_have_text(re.compile(r"^\d+ (second|minute)s?"))
    expect(page.get_by_test_id("summary-next")).to_have_text(re.compile(r"^in (<1 min|1 min) \("))
    assert [b["rating"] for _, b in sent] == plan
    assert len({b["review_id"] for _, b in sent}) == waiting
    assert reviewed_today(site, user) == waiting
    # Nothing left now: the navigation shows no count.
    nav_link = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Review"))
    expect(nav_link).to_have_accessible_name("Review")
    expect(page.get_by_test_id("due-count")).to_have_count(0)


def test_nothing_due_links_to_the_library(page, site) -> None:
    user = site.register("Nothing Due")
    sign_in(page, user, "/review")
    expect(page).to_have_title(TITLE)
    expect(page.get_by_role("heading", name="Nothing due")).to_be_visible()
    expect(page.get_by_test_id("due-count")).to_have_count(0)
    page.get_by_role("link", name="open your library").click()
    page.get_by_role("heading", level=1, name="Your library").wait_for()


def test_a_card_whose_note_was_deleted_is_skipped_and_said_so(page, watch, site) -> None:
    watch.allow(r"status of 404")
    user, video, due = student_with_cards(site)
    waiting = due["due_count"] + due["new_count"]
    sign_in(page, user, "/review")
    expect(page.get_by_test_id("card-front")).to_have_text(due["cards"][0]["front"])
    deleted = site.call(user, "DELETE", f"/videos/{video['video_id']}")
    assert deleted.status_code == 204, deleted.text
    page.keyboard.press("Space")
    page.get_by_role("group", name="How well did you remember it?").wait_for()  # revealed
    page.keyboard.press("3")
    expect(page.get_by_test_id("review-notice")).to_have_text(
        f"The note of these cards was deleted, so {waiting} cards were skipped.")
    expect(page.get_by_role("heading", name="Nothing due")).to_be_visible()
    assert reviewed_today(site, user) == 0


def test_the_count_is_the_signed_in_students_own_and_cleared_on_sign_out(page, site) -> None:
    """A count asked for before signing out, answered after another student signed in,
    is never shown to them; every count is asked for with the signed-in student's token."""
    first, _video, due = student_with_cards(site)
    waiting = due["due_count"] + due["new_count"]
    second = site.register("Second Student")
    asked: list[str] = []
    page.on("request", lambda r: "/reviews/due" in r.url and asked.append(r.headers.get("authorization", "")))
    held: list[Any] = []
    holding = [False]

    def hold(route: Any) -> None:
        if holding[0]:
            held.append(route)  # answered later, after the other student signed in
        else:
            route.continue_()

    page.route(re.compile(r"/reviews/due"), hold)
    sign_in(page, first)
    count = page.get_by_test_id("due-count")
    expect(count).to_have_text(f"{waiting} due")
    first_token = page.evaluate("JSON.parse(sessionStorage.getItem('studybuddy.session')).idToken")

    holding[0] = True
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    page.get_by_role("heading", level=1, name="Your library").wait_for()
    for _ in range(100):  # route handlers run while Playwright waits
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    holding[0] = False

    signed_out_at = len(asked)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(count).to_have_count(0)
    sign_in_here(page, second)
    second_token = page.evaluate("JSON.parse(sessionStorage.getItem('studybuddy.session')).idToken")
    link = page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Review"))
    expect(link).to_have_accessible_name("Review")

    with page.expect_response(lambda r: r.request == held[0].request):
        held[0].continue_()  # the first student's count arrives now
    page.wait_for_timeout(300)  # time for the page to (wrongly) show it
    expect(count).to_have_count(0)
    expect(link).to_have_accessible_name("Review")
    assert held[0].request.headers["authorization"] == f"Bearer {first_token}"
    assert set(asked[:signed_out_at]) == {f"Bearer {first_token}"}
    assert asked[signed_out_at:] and set(asked[signed_out_at:]) == {f"Bearer {second_token}"}


def test_another_student_signing_in_after_an_expiry_never_sees_the_first_ones_cards(
        page, site, watch) -> None:
    watch.allow(r"status of 401")
    user, _video, due = student_with_cards(site)
    other = site.register("Second")
    sign_in(page, user)
    page.goto(f"{site.origin}/review")
    front = due["cards"][0]["front"]
    expect(page.get_by_text(front, exact=True).first).to_be_visible()
    # The session ends under the page (the API refuses the next request).
    page.route(f"{site.api}/reviews/**", lambda route: route.fulfill(
        status=401, content_type="application/json",
        body='{"Code":"Unauthorized","Message":"Unauthorized"}',
        headers={"Access-Control-Allow-Origin": site.origin}))
    page.keyboard.press("Space")
    page.get_by_role("group", name="How well did you remember it?").wait_for()  # revealed
    page.keyboard.press("3")
    dialog = page.get_by_role("dialog", name="Sign in again")
    dialog.wait_for()
    page.unroute(f"{site.api}/reviews/**")
    dialog.get_by_label("Email", exact=True).fill(other["email"])
    dialog.get_by_label("Password", exact=True).fill(other["password"])
    dialog.get_by_role("button", name="Sign in").click()
    dialog.wait_for(state="detached")
    # A fresh page for the second student: their (empty) queue, nothing of the first's.
    expect(page.get_by_text("Nothing due")).to_be_visible()
    assert front not in page.inner_text("main")


def test_the_review_history_downloads_from_the_export_page(page, site) -> None:
    import csv
    import io
    import zipfile

    user, _video, due = student_with_cards(site)
    sign_in(page, user)
    page.goto(f"{site.origin}/review")
    expect(page.get_by_text(due["cards"][0]["front"], exact=True).first).to_be_visible()
    page.keyboard.press("Space")
    page.get_by_role("button", name=re.compile(r"^Good")).wait_for()
    page.keyboard.press("3")  # one review, then its history
    expect(page.get_by_test_id("review-progress")).to_have_text(re.compile(r"^Card 2 of"))
    page.goto(f"{site.origin}/settings")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export review history").click()
    assert re.fullmatch(r"study-buddy-reviews-\d{4}-\d{2}-\d{2}\.zip",
                        info.value.suggested_filename)
    with zipfile.ZipFile(io.BytesIO(open(info.value.path(), "rb").read())) as archive:
        cards = list(csv.DictReader(io.StringIO(archive.read("cards.csv").decode())))
        reviews = list(csv.DictReader(io.StringIO(archive.read("reviews.csv").decode())))
    assert len(cards) == due["due_count"] + due["new_count"] and len(reviews) == 1
    assert reviews[0]["rating"] == "3"
    expect(page.get_by_test_id("export-ready")).to_contain_text(
        f"{len(cards)} cards, 1 review")
