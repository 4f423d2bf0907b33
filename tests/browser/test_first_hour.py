"""A newcomer's and a student's first hour (issue 25): the web client on a moved port
with nothing configured, messages that say what the server said and what is missing,
a broken caption file refused before upload with its line, forgot password locally,
a cancelled video's refund, a failure said once, the credits history at a phone's
width, and a player that cannot load."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from chalicelib.youtube.captions import CaptionFileError, parse_caption_file
from testkit.live_stack import Stack, free_port
from tests.browser.conftest import PASSWORD, Site, expect, open_page, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

LOCAL_RESET = ("This is the local stack: no email is sent. Enter any code (for example "
               "123456) and your new password below.")
LINK_MISSING = ("Paste a YouTube link or video ID first: the notes are made from that video "
                "(also when you upload captions).")


def test_a_wrong_password_says_what_the_server_said(page, watch, site) -> None:
    watch.allow(r"status of 401")
    user = site.register()
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(user["email"])
    page.get_by_label("Password", exact=True).fill("Wrong!Passw0rd")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password")
    # An unknown email: the same words (nothing tells accounts apart).
    page.get_by_label("Email", exact=True).fill(f"nobody-{time.time_ns()}@example.com")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password")
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_forgot_password_locally_says_no_email_is_sent(page, site) -> None:
    user = site.register()
    page.goto("/")
    page.get_by_role("button", name="Forgot password?").click()
    expect(page.get_by_test_id("local-reset")).to_contain_text("no email is sent")
    page.get_by_label("Email", exact=True).fill(user["email"])
    page.get_by_role("button", name="Send a reset code").click()
    page.get_by_role("heading", name="Choose a new password").wait_for()
    expect(page.get_by_role("status")).to_have_text(LOCAL_RESET)
    assert "on its way" not in page.locator("main").inner_text()
    page.get_by_label("Code from the email").fill("123456")  # as the page says: any code
    page.get_by_label("New password", exact=True).fill("N3w!Passw0rd")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    sign_in(page, {**user, "password": "N3w!Passw0rd"})


def test_an_empty_submit_says_what_is_missing_and_focuses_the_link(page, site) -> None:
    user = site.register()
    sign_in(page, user)
    sent: list[str] = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/videos") and sent.append(r.url))
    field = page.get_by_label("YouTube link or video ID")
    page.get_by_role("button", name="Make notes").click()
    expect(page.locator("#video-url-help")).to_have_text(LINK_MISSING)
    expect(field).to_be_focused()
    assert field.get_attribute("aria-invalid") == "true"
    expect(page.get_by_role("alert")).to_have_text(LINK_MISSING)
    field.fill("sbPhysics01")  # typing clears it
    expect(page.locator("#video-url-help")).to_have_text("Video ID sbPhysics01")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert sent == []


def srt_cue(number: int, timing: str, text: str) -> str:
    return f"{number}\n{timing}\n{text}\n\n"


BROKEN_SRT = {
    # The file: the client said "SRT, 1 cue, 0:05 long".
    "timing cut short": srt_cue(1, "00:00:00,000 --> 00:00:05,000", "Hello.")
    + srt_cue(2, "00:00:05,000 --> 00:00:07", "Bye."),
    "minutes past 59": srt_cue(1, "00:00:00,000 --> 00:00:05,000", "Hello.")
    + srt_cue(2, "00:75:00,000 --> 00:76:00,000", "Later."),
    "ends before it starts": srt_cue(1, "00:00:09,000 --> 00:00:05,000", "Backwards."),
    "arrow mistyped": srt_cue(1, "00:00:00,000 --> 00:00:05,000", "Hello.")
    + srt_cue(2, "00:00:05,000 -> 00:00:09,000", "Bye."),
    "cue number missing": "00:00:00,000 --> 00:00:05,000\nHello.\n\nnot a number\n"
    "00:00:05,000 --> 00:00:09,000\nBye.\n",
}


def test_a_broken_srt_is_refused_before_upload_with_the_line_the_server_names(page, site) -> None:
    """The client's check mirrors the API's parser (chalicelib/youtube/captions.py): the
    same files refused, at the same line."""
    user = site.register()
    sign_in(page, user)
    page.get_by_label("YouTube link or video ID").fill("sbCaption09")
    upload = page.get_by_label("Upload a .vtt or .srt file when YouTube will not serve this video")
    help_text = page.locator("#captions-help")
    price = page.get_by_test_id("price")
    for name, text in BROKEN_SRT.items():
        with pytest.raises(CaptionFileError) as refused:
            parse_caption_file(text)
        upload.set_input_files({"name": "lecture.srt", "mimeType": "application/x-subrip",
                                "buffer": text.encode()})
        expect(help_text).to_contain_text(f"Line {refused.value.line} of this SRT file:")
        expect(help_text).to_have_attribute("role", "alert")
        expect(price).to_contain_text("1 more per started hour")  # the file was not taken
        assert page.get_by_label("Title (optional)").count() == 0, name
    # A good file is still read, with Windows line ends too.
    good = (srt_cue(1, "00:00:00,000 --> 00:00:05,000", "Hello.")
            + srt_cue(2, "00:00:05,000 --> 00:00:09,500", "Bye.")).replace("\n", "\r\n")
    assert len(parse_caption_file(good)) == 2
    upload.set_input_files({"name": "lecture.srt", "mimeType": "application/x-subrip",
                            "buffer": good.encode()})
    expect(help_text).to_have_text("lecture.srt: SRT, 2 cues, 0:10 long.")


# --- cancelling a video: a stack of its own whose videos wait (no worker) -------------

@pytest.fixture(scope="module")
def idle_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The local stack as `make run` starts it on a moved web port (it serves the client
    itself, ALLOWED_ORIGINS unset), without the worker, so videos stay queued."""
    web_port = free_port()
    state_dir = tmp_path_factory.mktemp("idle-stack")
    stack = Stack(state_dir, env={"ALLOWED_ORIGINS": "", "SIGNUP_CREDITS": "5"},
                  args=("--workers", "0", "--web-port", str(web_port), "--web")).start()
    try:
        origin = f"http://127.0.0.1:{web_port}"
        assert f"web client {origin}" in stack.ready_line
        outputs = json.loads((state_dir / "outputs.json").read_text())
        yield Site(api=stack.api, origin=origin, outputs=outputs, stack=stack)
    finally:
        stack.stop()


def test_cancelling_a_waiting_video_says_the_credits_were_refunded(browser, idle_site, request) -> None:
    """Also: signing up and submitting from a web client on a moved port with no
    ALLOWED_ORIGINS set (the client's own origin is allowed, docs/DESIGN.md section 11)."""
    for page, _watch in open_page(browser, idle_site, request):
        page.goto("/")
        page.get_by_role("button", name="Create an account").click()
        page.get_by_label("Email", exact=True).fill(f"cancel-{time.time_ns()}@example.com")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Create account").click()
        header = page.get_by_test_id("header-credits")
        expect(header).to_have_text("5 credits")
        page.get_by_label("YouTube link or video ID").fill("https://youtu.be/sbPhysics01")
        page.get_by_role("button", name="Make notes").click()
        page.wait_for_url("**/videos/*")
        expect(page.get_by_test_id("video-status")).to_have_text("queued")
        expect(header).to_have_text("4 credits")
        page.get_by_role("button", name="Cancel and refund").click()
        page.get_by_role("dialog").get_by_role("button", name="Cancel it").click()
        page.wait_for_url(f"{idle_site.origin}/")
        flash = page.get_by_test_id("flash")
        expect(flash).to_have_text(re.compile(r"was cancelled: 1 credit refunded to your balance\.$"))
        expect(flash).to_have_attribute("role", "status")
        expect(header).to_have_text("5 credits")
        page.get_by_role("link", name="Credits").first.click()
        page.get_by_role("link", name="Submit").click()
        expect(page.get_by_test_id("flash")).to_have_count(0)  # said once


def test_a_failed_video_says_its_message_once(page, site) -> None:
    user = site.register()
    sign_in(page, user)
    page.get_by_label("YouTube link or video ID").fill("https://www.youtube.com/watch?v=sbNotCached")
    page.get_by_role("button", name="Make notes").click()
    page.wait_for_url("**/videos/*")
    expect(page.get_by_test_id("video-status")).to_have_text("failed", timeout=60_000)
    video = site.call(user, "GET", f"/videos/{page.url.rsplit('/', 1)[1]}").json()
    message = video["error"]["message"]
    expect(page.get_by_test_id("failure")).to_contain_text(message)
    expect(page.get_by_test_id("failure")).to_contain_text("refunded")
    assert page.locator("main").inner_text().count(message) == 1


def test_the_credits_history_fits_a_phone(phone, site, reader) -> None:
    page, _ = phone
    sign_in(page, reader, "/credits")
    rows = page.locator(".table-wrap table tbody tr")
    expect(rows).to_have_count(4)
    page.wait_for_load_state("networkidle")
    fit = page.evaluate("""() => {
        const wrap = document.querySelector('.table-wrap');
        const table = wrap.querySelector('table');
        const lines = el => {  // how many lines the cell's text takes
            const range = document.createRange();
            range.selectNodeContents(el);
            return Math.round(range.getBoundingClientRect().height / parseFloat(getComputedStyle(el).lineHeight));
        };
        return {wrap: wrap.clientWidth, scroll: wrap.scrollWidth,
                table: table.getBoundingClientRect().right, box: wrap.getBoundingClientRect().right,
                page: document.documentElement.scrollWidth,
                dates: [...table.querySelectorAll('tbody td:first-child')].map(lines)};
    }""")
    assert fit["scroll"] <= fit["wrap"] and fit["table"] <= fit["box"] + 0.5, fit  # no overflow
    assert fit["page"] <= 375, fit
    assert max(fit["dates"]) <= 2, fit  # the date on one line, the time on the next at most
    assert re.match(r"\d{4}-\d\d-\d\dT", rows.first.locator("td time").get_attribute("datetime"))


def test_watch_alongside_offline_says_the_player_cannot_load(page, watch, site, reader) -> None:
    """web/README.md: offline the embed never answers, and the page says so, in a few
    seconds, without a broken frame; timestamps keep opening YouTube."""
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.abort("internetdisconnected"))
    sign_in(page, reader, f"/notes/{reader['engines']['note_id']}")
    page.get_by_role("heading", level=1, name="Heat Engines and the Carnot Limit").wait_for()
    opened = time.monotonic()
    page.get_by_role("button", name="Watch alongside").click()
    state = page.get_by_test_id("player-state")
    expect(state).to_have_text("The player cannot load (are you offline?). Timestamps open the "
                               "video on YouTube instead.", timeout=6_000)
    assert time.monotonic() - opened < 6
    assert not page.locator(".player iframe").is_visible()  # no browser error page on show
    stamp = page.locator(".markdown a.timestamp").first
    with page.context.expect_page() as popup:
        stamp.click()
    popup.value.close()

    # Offline as the browser knows it: said at once, no frame at all.
    page.get_by_role("button", name="Close player").click()
    page.context.set_offline(True)
    try:
        page.get_by_role("button", name="Watch alongside").click()
        expect(state).to_contain_text("The player cannot load", timeout=1_000)
        expect(page.locator(".player iframe")).to_have_count(0)
    finally:
        page.context.set_offline(False)


def test_a_player_that_answers_shows_and_seeks(page, site, reader) -> None:
    """The other side of the above: the embed's answer shows the frame."""
    sign_in(page, reader, f"/notes/{reader['engines']['note_id']}")
    page.get_by_role("button", name="Watch alongside").click()
    expect(page.get_by_test_id("player-state")).to_have_text("Timestamps now play here.")
    expect(page.locator(".player iframe")).to_be_visible()
