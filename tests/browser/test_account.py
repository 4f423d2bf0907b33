"""Signing up, in and out, resetting a password, tokens refreshed before they
expire, and a 401 that sends the student to sign-in without losing their draft."""
from __future__ import annotations

import json
import time
import uuid

import pytest

from tests.browser.conftest import PASSWORD, SIGNUP_CREDITS, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SESSION_KEY = "studybuddy.session"


def stored_session(page) -> dict:
    return json.loads(page.evaluate(f"sessionStorage.getItem('{SESSION_KEY}')") or "null") or {}


def tab_to(page, predicate_js: str, limit: int = 25, key: str = "Tab") -> None:
    """Press Tab until the focused element satisfies the predicate (keyboard only)."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate_js}")


def test_sign_up_submit_and_watch_progress_to_the_note(page, watch, site) -> None:
    email = f"new-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/")
    page.get_by_role("button", name="Create an account").click()
    page.get_by_label("Name (optional)").fill("Grace")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    credits = page.get_by_test_id("header-credits")
    credits.filter(has_text=f"{SIGNUP_CREDITS} credits").wait_for()

    field = page.get_by_label("YouTube link or video ID")
    help_text = page.locator("#video-url-help")
    for form in ["https://www.youtube.com/watch?v=sbPhysics01&list=PL1&t=30s",
                 "youtu.be/sbPhysics01", "https://youtube.com/shorts/sbPhysics01",
                 "https://www.youtube.com/embed/sbPhysics01", "https://www.youtube.com/live/sbPhysics01",
                 "https://m.youtube.com/watch?v=sbPhysics01", "https://music.youtube.com/watch?v=sbPhysics01",
                 "sbPhysics01"]:
        field.fill(form)
        assert help_text.inner_text() == "Video ID sbPhysics01", form
    field.fill("https://vimeo.com/12345")
    field.blur()
    assert "not a YouTube link" in help_text.inner_text()
    assert field.get_attribute("aria-invalid") == "true"
    page.get_by_role("button", name="Make notes").click()
    assert page.url == f"{site.origin}/"  # nothing was sent

    field.fill("https://youtu.be/sbPhysics01")
    assert "1 credit" in page.get_by_test_id("price").inner_text()
    page.get_by_role("button", name="Make notes").click()
    page.wait_for_url("**/videos/*")
    video_id = page.url.rsplit("/", 1)[1]

    # Progress is polled: sample the bar until the status settles.
    seen: list[int] = []
    status = page.get_by_test_id("video-status")
    deadline = time.monotonic() + 30
    done = False
    while not done and time.monotonic() < deadline:
        done = status.count() > 0 and status.inner_text() == "completed"
        value = page.locator("#video-progress").get_attribute("value")
        if value is not None and (not seen or seen[-1] != int(value)):
            seen.append(int(value))
        time.sleep(0.05)
    assert seen and seen[-1] == 100, seen
    assert seen == sorted(seen), f"progress went backwards: {seen}"
    assert "Completed" in page.get_by_test_id("status-message").inner_text()
    polls = [url for url in watch.requests if url.endswith(f"/videos/{video_id}")]
    assert len(polls) >= 2, polls
    credits.filter(has_text=f"{SIGNUP_CREDITS - 1} credits").wait_for()

    page.get_by_role("link", name="Open the note").click()
    page.get_by_role("heading", level=1, name="Entropy and the Second Law").wait_for()
    assert "?" not in page.url or "token" not in page.url


def test_keyboard_only_sign_in_and_sign_out(page, site) -> None:
    user = site.register()
    page.goto("/")
    page.get_by_role("heading", name="Sign in").wait_for()
    tab_to(page, "el.id === 'auth-email'")
    page.keyboard.type(user["email"])
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "auth-password"
    page.keyboard.type(user["password"])
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Sign out").wait_for()
    assert stored_session(page).get("email") == user["email"]

    # Focus starts at the page's heading; the skip link is the first stop before it.
    assert page.evaluate("document.activeElement.tagName") == "H1"
    tab_to(page, "el.textContent === 'Skip to content'", key="Shift+Tab")
    tab_to(page, "el.textContent === 'Library'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/library")
    page.get_by_role("heading", level=1, name="Your library").wait_for()
    tab_to(page, "el.textContent === 'Sign out'", limit=40)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Sign in").wait_for()
    assert stored_session(page) == {}


def test_forgot_and_reset_password(page, site) -> None:
    user = site.register()
    page.goto("/")
    page.get_by_role("button", name="Forgot password?").click()
    page.get_by_label("Email", exact=True).fill(user["email"])
    page.get_by_role("button", name="Send a reset code").click()
    page.get_by_role("heading", name="Choose a new password").wait_for()
    # Locally no email is sent, and the page says so (test_first_hour.py has the words).
    assert "no email is sent" in page.get_by_role("status").inner_text()
    assert page.get_by_label("Email", exact=True).input_value() == user["email"]
    # The local stage's emulator takes any code (a real pool emails one).
    page.get_by_label("Code from the email").fill("123456")
    page.get_by_label("New password", exact=True).fill("N3w!Passw0rd")
    page.get_by_role("button", name="Change password").click()
    page.get_by_role("heading", name="Sign in").wait_for()
    assert "password is changed" in page.get_by_role("status").inner_text()
    sign_in(page, {**user, "password": "N3w!Passw0rd"})


def test_wrong_password_is_explained(page, watch, site) -> None:
    watch.allow(r"status of 40[01]")
    user = site.register()
    page.goto("/")
    page.get_by_label("Email", exact=True).fill(user["email"])
    page.get_by_label("Password", exact=True).fill("Wrong!Passw0rd")
    page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert alert.inner_text().strip() == "Incorrect email or password"  # the API's words
    assert page.get_by_role("button", name="Sign out").count() == 0


def test_token_is_refreshed_before_it_expires(page, watch, site) -> None:
    user = site.register()
    sign_in(page, user)
    first = stored_session(page)
    # Pretend the ID token has a minute left: the client must refresh on its own.
    page.evaluate("""([key, at]) => {
        const s = JSON.parse(sessionStorage.getItem(key)); s.expiresAt = at;
        sessionStorage.setItem(key, JSON.stringify(s)); }""",
                  [SESSION_KEY, int(time.time() * 1000) + 60_000])
    page.reload()
    page.get_by_role("button", name="Sign out").wait_for()
    deadline = time.monotonic() + 10
    while stored_session(page).get("idToken") == first["idToken"] and time.monotonic() < deadline:
        time.sleep(0.1)
    refreshed = stored_session(page)
    assert refreshed["idToken"] != first["idToken"]
    assert refreshed["expiresAt"] > first["expiresAt"] - 5_000
    assert any(url.endswith("/auth/refresh") for url in watch.requests)
    # The new token works.
    page.get_by_role("link", name="Credits").first.click()
    page.get_by_test_id("balance").filter(has_text=str(SIGNUP_CREDITS)).wait_for()
    for token in (first["idToken"], first["refreshToken"], refreshed["idToken"]):
        assert not any(token in url for url in watch.requests), "a token travelled in a URL"


def test_a_401_sends_the_student_to_sign_in_keeping_the_draft(page, watch, site) -> None:
    watch.allow(r"status of 401")
    user = site.register()
    sign_in(page, user)
    page.get_by_label("YouTube link or video ID").fill("https://youtu.be/sbHistory01")
    page.get_by_label("Subject (optional)").fill("History")
    # The session is revoked behind the page's back (both tokens now refused).
    page.evaluate("""key => {
        const s = JSON.parse(sessionStorage.getItem(key));
        s.idToken = 'revoked.' + s.idToken.split('.')[1] + '.x'; s.refreshToken = 'revoked';
        sessionStorage.setItem(key, JSON.stringify(s)); }""", SESSION_KEY)
    page.reload()
    dialog = page.get_by_role("dialog", name="Sign in again")
    dialog.wait_for()
    assert "what you typed is kept" in dialog.inner_text()
    assert dialog.get_by_label("Email", exact=True).input_value() == user["email"]
    dialog.get_by_label("Password", exact=True).fill(user["password"])
    dialog.get_by_role("button", name="Sign in").click()
    dialog.wait_for(state="detached")
    assert page.get_by_label("YouTube link or video ID").input_value() == "https://youtu.be/sbHistory01"
    assert page.get_by_label("Subject (optional)").input_value() == "History"
    page.get_by_role("button", name="Make notes").click()
    page.wait_for_url("**/videos/*")
    page.get_by_test_id("video-status").filter(has_text="completed").wait_for(timeout=30_000)
    assert not any("revoked" in url or user["id_token"] in url for url in watch.requests)
