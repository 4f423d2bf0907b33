"""Uploading captions, the price before submitting, errors in words, credits and
buying them, and the whole client at a phone's width with labelled controls."""
from __future__ import annotations

import json
import re

import pytest

from tests.browser.conftest import (
    SIGNUP_CREDITS,
    buy_ten_in_the_sandbox,
    checkout_ten,
    expect,
    pay_in_the_sandbox,
    sign_in,
)

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def vtt(minutes: int, cues: int = 12) -> str:
    step = minutes * 60 / cues
    lines = ["WEBVTT", ""]
    sentences = ["Osmosis moves water across a membrane toward the higher solute concentration.",
                 "The membrane lets water through but holds back most dissolved particles.",
                 "Cells in salty water lose water and shrink; in fresh water they swell.",
                 "Plant cells resist bursting because their cell wall pushes back."]
    for i in range(cues):
        start, end = i * step, (i + 1) * step

        def stamp(t: float) -> str:
            return f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}:{t % 60:06.3f}"
        lines += [f"{stamp(start)} --> {stamp(end)}", sentences[i % len(sentences)], ""]
    return "\n".join(lines)


def srt(minutes: int) -> str:
    end = minutes * 60
    return (f"1\n00:00:00,000 --> 00:00:05,000\nHello.\n\n"
            f"2\n{end // 3600:02d}:{end % 3600 // 60:02d}:{end % 60:02d},000 --> "
            f"{end // 3600:02d}:{end % 3600 // 60:02d}:{end % 60:02d},500\nBye.\n")


def test_caption_files_are_checked_and_priced_before_upload(page, site) -> None:
    user = site.register()
    sign_in(page, user)
    page.get_by_label("YouTube link or video ID").fill("https://youtu.be/sbCaption02")
    price = page.get_by_test_id("price")
    expect(price).to_contain_text(f"You have {SIGNUP_CREDITS} credits")
    assert "1 credit" in price.inner_text() and "per started hour" in price.inner_text()
    upload = page.get_by_label("Upload a .vtt or .srt file when YouTube will not serve this video")
    help_text = page.locator("#captions-help")

    upload.set_input_files({"name": "long.srt", "mimeType": "application/x-subrip",
                            "buffer": srt(61).encode()})
    expect(help_text).to_contain_text("long.srt: SRT, 2 cues, 1:01:01 long")
    expect(price).to_contain_text("Price: 2 credits")

    upload.set_input_files({"name": "short.vtt", "mimeType": "text/vtt", "buffer": vtt(20).encode()})
    expect(help_text).to_contain_text("WebVTT, 12 cues, 20:00 long")
    expect(price).to_contain_text("Price: 1 credit (20:00 long")

    upload.set_input_files({"name": "notes.vtt", "mimeType": "text/vtt", "buffer": b"just some text"})
    expect(help_text).to_contain_text("not a WebVTT or SRT caption file")
    upload.set_input_files({"name": "slides.pdf", "mimeType": "application/pdf", "buffer": b"%PDF"})
    expect(help_text).to_contain_text("Choose a .vtt or .srt caption file.")
    upload.set_input_files({"name": "huge.vtt", "mimeType": "text/vtt",
                            "buffer": ("WEBVTT\n\n" + "x" * (2 * 1024 * 1024 + 10)).encode()})
    expect(help_text).to_contain_text("up to 2 MiB")
    expect(price).to_contain_text("1 more per started hour")  # no file accepted: back to the link's price


def test_removed_captions_leave_no_file_and_the_same_file_can_be_chosen_again(page, site) -> None:
    user = site.register()
    sign_in(page, user)
    page.get_by_label("YouTube link or video ID").fill("https://youtu.be/sbCaption02")
    upload = page.get_by_label("Upload a .vtt or .srt file when YouTube will not serve this video")
    lecture_file = {"name": "Week_1.vtt", "mimeType": "text/vtt", "buffer": vtt(20).encode()}
    upload.set_input_files(lecture_file)
    expect(page.get_by_label("Title")).to_have_value("Week 1")
    page.get_by_role("button", name="Remove captions").click()
    # No file named in the input, as if it would still be sent.
    assert upload.evaluate("input => input.files.length") == 0
    expect(page.get_by_label("Title")).to_have_count(0)
    expect(page.get_by_test_id("price")).to_contain_text("1 more per started hour")
    upload.set_input_files(lecture_file)  # the same file again is read again
    expect(page.locator("#captions-help")).to_contain_text("WebVTT, 12 cues, 20:00 long")
    expect(page.get_by_label("Title")).to_have_value("Week 1")


def submit_and_open_note(page, site, user, title: str) -> dict:
    """Make notes; the title shows while the video waits, then heads the note (front
    matter and H1 too). The note as the API returns it."""
    with page.expect_request(lambda r: r.method == "POST" and r.url == f"{site.api}/videos") as sent:
        page.get_by_role("button", name="Make notes").click()
    assert json.loads(sent.value.post_data)["title"] == title
    page.wait_for_url("**/videos/*", timeout=3000)
    expect(page.locator("main h1")).to_have_text(title)
    expect(page.get_by_test_id("video-status")).to_have_text("completed", timeout=30_000)
    video = site.call(user, "GET", f"/videos/{page.url.rsplit('/', 1)[1]}").json()
    page.get_by_role("link", name="Open the note").click()
    expect(page.locator("#note-title")).to_have_text(title)
    note = site.call(user, "GET", f"/notes/{video['note_id']}?include_content=true").json()
    assert note["title"] == title
    assert f"\ntitle: {json.dumps(title)}\n" in note["content"]
    return note


def test_upload_captions_for_another_video(page, site) -> None:
    """The note is titled by the file's name (issue 21): never by a keyword of it."""
    user = site.register()
    sign_in(page, user)
    page.get_by_label("YouTube link or video ID").fill("https://www.youtube.com/watch?v=sbCaption01")
    page.get_by_label("Upload a .vtt or .srt file when YouTube will not serve this video").set_input_files(
        {"name": "osmosis_week-3.vtt", "mimeType": "text/vtt", "buffer": vtt(6).encode()})
    expect(page.get_by_test_id("price")).to_contain_text("Price: 1 credit")
    expect(page.get_by_label("Title (optional)")).to_have_value("osmosis week 3")
    note = submit_and_open_note(page, site, user, "osmosis week 3")
    assert "\n# osmosis week 3\n" in note["content"]
    expect(page.locator(".facts")).to_contain_text("your uploaded captions")
    expect(page.locator(".markdown")).to_contain_text("membrane")


def test_a_typed_title_names_the_note_as_plain_text(page, site) -> None:
    user = site.register()
    sign_in(page, user)
    page.get_by_label("YouTube link or video ID").fill("sbCaption03")
    upload = page.get_by_label("Upload a .vtt or .srt file when YouTube will not serve this video")
    title = page.get_by_label("Title (optional)")
    expect(title).to_have_count(0)  # asked for only with a caption file
    upload.set_input_files({"name": "captions.vtt", "mimeType": "text/vtt",
                            "buffer": vtt(5).encode()})
    expect(title).to_have_value("captions")
    typed = "Osmosis & <b>Turgor</b> [[pressure]]"
    title.fill(typed)
    note = submit_and_open_note(page, site, user, typed)
    assert "\n# Osmosis & \\<b>Turgor\\</b> \\[\\[pressure]]\n" in note["content"]
    assert page.locator(".note b").count() == 0  # shown as text, nothing rendered from it
    # Cleared, the field falls back to the file's name.
    page.goto("/")
    page.get_by_label("YouTube link or video ID").fill("sbCaption04")
    upload.set_input_files({"name": "Cell_Walls [sbCaption04].en.vtt", "mimeType": "text/vtt",
                            "buffer": vtt(5).encode()})
    title.fill("   ")
    submit_and_open_note(page, site, user, "Cell Walls")


@pytest.mark.parametrize("status,body,words", [
    (402, {"Code": "PaymentRequired", "Message": "This video needs 2 credits; you have 1"},
     "You do not have enough credits"),
    (409, {"Code": "AlreadySubmitted", "Message": "You already have this video",
           "video_id": "abc123def456"}, "already in your library"),
    (429, {"Code": "TooManyRequestsError", "Message": "At most 10 videos an hour"},
     "Wait a few minutes"),
])
def test_submit_errors_are_explained(page, watch, site, status, body, words) -> None:
    """The answers docs/DESIGN.md section 4 specifies, served by a stub of POST /videos (the
    stack here cannot be made to give 409 and 429 yet, nor 402 without spending)."""
    watch.allow(rf"status of {status}")
    user = site.register()
    if status == 409:  # the video the answer points to is a real one of this user's
        body = {**body, "video_id": site.process(user, "sbPhysics01")["video_id"]}
    sign_in(page, user)
    sent: list[dict] = []

    def stub(route) -> None:
        if route.request.method != "POST":
            return route.fallback()
        sent.append(json.loads(route.request.post_data))
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body),
                      headers={"Access-Control-Allow-Origin": site.origin})
    page.route(f"{site.api}/videos", stub)
    page.get_by_label("YouTube link or video ID").fill("sbPhysics01")
    if status == 409:  # the price settles once the recent list shows the length; click after that
        expect(page.get_by_test_id("price")).to_contain_text("7:00 long")
    page.get_by_role("button", name="Make notes").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(words)
    if status == 402:
        assert alert.get_by_role("link", name="Buy credits").get_attribute("href") == "/credits"
    assert sent == [{"url": "sbPhysics01"}]
    if status == 409:
        # A fresh note of the same video is a deliberate, paid choice.
        page.get_by_role("button", name="Make a fresh note anyway (costs credits again)").click()
        for _ in range(50):
            if len(sent) == 2:
                break
            page.wait_for_timeout(100)
        assert sent[1] == {"url": "sbPhysics01", "reprocess": True}
        expect(page.get_by_role("alert")).to_contain_text("already in your library")
        alert.get_by_role("link", name="Open it").click()
        page.wait_for_url(f"**/videos/{body['video_id']}")
        expect(page.get_by_test_id("video-status")).to_have_text("completed")
    else:
        assert page.get_by_label("YouTube link or video ID").input_value() == "sbPhysics01"


def test_credits_page_shows_balance_packages_and_running_balance(page, site, reader) -> None:
    sign_in(page, reader, "/credits")
    balance = site.call(reader, "GET", "/credits").json()
    expect(page.get_by_test_id("balance")).to_have_text(str(balance["credits"]))
    for package in balance["packages"]:
        price = package.get("display_amount") or f"${package['amount'] / 100:.2f}"
        assert page.get_by_role("button", name=f"Buy {package['credits']} credits for {price}").count() == 1
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(4)  # the bonus and three videos
    cells = [row.locator("td").all_inner_texts() for row in rows.all()]
    # Newest first; each row's balance is the one below it plus its amount.
    assert int(cells[0][3]) == balance["credits"]
    for newer, older in zip(cells, cells[1:]):
        assert int(newer[3]) == int(older[3]) + int(newer[2])
    assert cells[-1][1].startswith("Sign-up bonus") and cells[-1][2] == f"+{SIGNUP_CREDITS}"


def test_checkout_without_payments_configured_is_explained(page, watch, site) -> None:
    """Until the sandbox lands, the local stage has no Stripe: the student is told."""
    probe = site.register()
    answer = site.call(probe, "POST", "/credits/checkout", json={"package": "basic"})
    if answer.status_code == 201:
        pytest.skip("the payments sandbox is available; test_buy_credits_through_the_sandbox covers it")
    watch.allow(r"status of 503")
    sign_in(page, probe, "/credits")
    page.get_by_role("button", name=re.compile(r"^Buy 10 credits")).click()
    expect(page.get_by_role("alert")).to_contain_text("not available right now")
    assert page.url.startswith(site.origin)


def test_buy_credits_through_the_sandbox(page, site) -> None:
    user = site.register()
    sign_in(page, user, "/credits")
    expect(page.get_by_test_id("balance")).to_have_text(str(SIGNUP_CREDITS))
    buy_ten_in_the_sandbox(page, site)
    expect(page.get_by_test_id("balance")).to_have_text(str(SIGNUP_CREDITS + 10), timeout=30_000)
    expect(page.get_by_test_id("checkout-notice")).to_contain_text("10 credits added")
    expect(page.locator("tbody tr").first).to_contain_text("Purchase")
    expect(page.get_by_test_id("header-credits")).to_have_text(f"{SIGNUP_CREDITS + 10} credits")
    assert "checkout=" not in page.url

    # A second purchase in the same minute, back from Checkout before it is paid: the
    # first one's row is not taken for it; the page waits, then says what arrived.
    payment_page = checkout_ten(page, site)
    page.goto("/credits?checkout=success")
    notice = page.get_by_test_id("checkout-notice")
    expect(notice).to_have_text("Payment received. Waiting for the payment to be confirmed…")
    page.goto(payment_page)
    pay_in_the_sandbox(page, site)
    expect(notice).to_contain_text("10 credits added")
    expect(page.get_by_test_id("balance")).to_have_text(str(SIGNUP_CREDITS + 20), timeout=30_000)


def test_every_page_fits_a_phone_and_labels_its_controls(phone, site, reader) -> None:
    page, _ = phone
    sign_in(page, reader)
    pages = ["/", f"/videos/{reader['engines']['video_id']}", "/library",
             f"/notes/{reader['engines']['note_id']}", "/credits", "/settings"]
    for path in pages:
        page.goto(path)
        page.locator("main h1").wait_for()
        page.wait_for_load_state("networkidle")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375, f"{path} is {width}px wide at 375px"
        unlabelled = page.evaluate("""() => [...document.querySelectorAll(
            'input, select, textarea, button, a[href]')].filter(el => {
              const label = el.labels && el.labels.length ? el.labels[0].textContent
                : (el.getAttribute('aria-label') || el.textContent);
              return !label || !label.trim();
            }).map(el => el.outerHTML.slice(0, 80))""")
        assert unlabelled == [], f"{path}: {unlabelled}"
    page.goto("/")
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_a_failed_video_shows_its_message_and_the_refund(page, site) -> None:
    """An uncached lecture cannot be fetched offline (YouTube is a closed port here):
    it fails, is refunded, and the page says both."""
    user = site.register()
    sign_in(page, user)
    header = page.get_by_test_id("header-credits")
    expect(header).to_have_text(f"{SIGNUP_CREDITS} credits")
    page.get_by_label("YouTube link or video ID").fill("https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    page.get_by_role("button", name="Make notes").click()
    page.wait_for_url("**/videos/*")
    expect(page.get_by_test_id("video-status")).to_have_text("failed", timeout=60_000)
    video = site.call(user, "GET", f"/videos/{page.url.rsplit('/', 1)[1]}").json()
    failure = page.get_by_test_id("failure")
    expect(failure).to_contain_text(video["error"]["message"])
    expect(failure).to_contain_text("1 credit refunded to your balance.")
    expect(header).to_have_text(f"{SIGNUP_CREDITS} credits")
    assert page.get_by_role("link", name="Open the note").count() == 0
