"""Accessibility in real Chromium (issue 25, docs/DESIGN.md section 11): axe-core's WCAG
2.1 A and AA rules on every page at 1280 and 375 px, and what axe cannot see: the focus
ring's contrast, each page's own title, a refused link announced and focused, and focus
back on the button that opened a dialog once it closes.

axe-core is the web client's pinned devDependency (web/package.json); its script is
given to each page by the browser itself (an init script), which the site's
Content-Security-Policy does not apply to."""
from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from testkit.live_stack import PROJECT_DIR
from tests.browser.conftest import expect, open_page, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]

AXE = PROJECT_DIR / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 375, "height": 740}}
SITE_NAME = "YouTube Study Buddy"


@pytest.fixture(params=list(WIDTHS))
def axe_page(request: pytest.FixtureRequest, browser: Any, site: Any) -> Iterator[Any]:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: npm ci in web/ (make web) installs it", pytrace=False)
    for page, watch in open_page(browser, site, request, viewport=WIDTHS[request.param]):
        watch.allow(r"status of 401")  # the refused sign-in, on purpose
        page.context.add_init_script(path=str(AXE))
        yield page


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations of the WCAG 2.1 A and AA rules on the page as it is now."""
    results = page.evaluate("""async tags => {
        const result = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                                resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ") + ": " + n.failureSummary)}));
    }""", WCAG_TAGS)
    return [json.dumps(violation) for violation in results]


def settle(page: Any) -> None:
    page.locator("main h1").first.wait_for()
    page.wait_for_load_state("networkidle")


class AxeWalk:
    """The pages a test walks, each checked by axe-core once it has settled (and by
    `also`, where given); `assert_clean` names every page that had violations."""

    def __init__(self, page: Any, also: Callable[[Any], None] | None = None) -> None:
        self.page, self.also = page, also
        self.found: dict[str, list[str]] = {}

    def check(self, name: str) -> None:
        settle(self.page)
        violations = axe_violations(self.page)
        if violations:
            self.found[name] = violations
        if self.also is not None:
            self.also(self.page)

    def assert_clean(self) -> None:
        assert self.found == {}, json.dumps(self.found, indent=1)


def test_axe_finds_nothing_on_any_page_at_either_width(axe_page, site, reader) -> None:
    page = axe_page
    walk = AxeWalk(page)
    check = walk.check

    page.goto("/")
    page.get_by_role("heading", name="Sign in").wait_for()
    check("sign in")
    page.get_by_role("button", name="Create an account").click()
    page.get_by_role("heading", name="Create your account").wait_for()
    check("sign up")
    page.get_by_role("button", name="I already have an account").click()
    page.get_by_role("button", name="Forgot password?").click()
    page.get_by_role("heading", name="Forgot your password?").wait_for()
    check("forgot password")
    # A refused sign-in, its message shown.
    page.get_by_role("button", name="Back to sign in").click()
    page.get_by_label("Email", exact=True).fill(reader["email"])
    page.get_by_label("Password", exact=True).fill("Wrong!Passw0rd1")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("alert").wait_for()
    check("sign in refused")

    sign_in(page, reader)
    check("submit")
    page.get_by_role("button", name="Make notes").click()  # empty: refused, with a message
    check("submit refused")
    engines = reader["engines"]
    for name, path in [("video", f"/videos/{engines['video_id']}"),
                       ("note", f"/notes/{engines['note_id']}"),
                       ("library", "/library"), ("credits", "/credits"),
                       ("settings", "/settings"), ("not found", "/no/such/page")]:
        page.goto(path)
        check(name)
    # The note with its review answers open, and a confirmation dialog open.
    page.goto(f"/notes/{engines['note_id']}")
    settle(page)
    page.locator(".markdown details").evaluate_all("ds => ds.forEach(d => { d.open = true; })")
    check("note, answers open")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").wait_for()
    check("delete dialog")
    # The Review page: a card's front, then its answer, quote, rewatch and ratings.
    page.goto("/review")
    page.get_by_test_id("card-front").wait_for()
    check("review")
    page.keyboard.press("Space")
    page.get_by_role("group", name="How well did you remember it?").wait_for()
    check("review, answer shown")
    walk.assert_clean()


def test_axe_finds_nothing_on_the_review_page_when_nothing_is_due_and_at_the_end(axe_page, site) -> None:
    page = axe_page
    walk = AxeWalk(page)
    check = walk.check

    user = site.register("Axe Reviewer")
    sign_in(page, user, "/review")
    page.get_by_role("heading", name="Nothing due").wait_for()
    check("review, nothing due")
    site.process(user, "sbPhysics01")
    deadline = time.monotonic() + 30  # the cards are made just after the video completes
    while not (due := site.call(user, "GET", "/reviews/due").json())["cards"]:
        assert time.monotonic() < deadline, due
        time.sleep(0.2)
    page.goto("/review")
    progress = page.get_by_test_id("review-progress")
    for number in range(1, due["due_count"] + due["new_count"] + 1):
        # Clicks, not keys: this checks the pages axe sees (test_reviews.py tests the keys).
        expect(progress).to_contain_text(f"Card {number} of")
        page.get_by_role("button", name="Show answer").click()
        page.get_by_role("button", name=re.compile(r"^Easy")).click()
    page.get_by_role("heading", name="Session complete").wait_for()
    check("review, session summary")
    walk.assert_clean()


def contrast(first: str, second: str) -> float:
    """WCAG's contrast ratio of two CSS rgb()/rgba() colours (opaque)."""
    def luminance(css: str) -> float:
        red, green, blue = (int(x) for x in re.findall(r"[\d.]+", css)[:3])
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def tab_to(page: Any, predicate_js: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate_js}")


FOCUS_STYLE = """el => {
    const own = getComputedStyle(el);
    let box = el.parentElement;
    while (box && ["rgba(0, 0, 0, 0)", "transparent"].includes(getComputedStyle(box).backgroundColor)) box = box.parentElement;
    return {style: own.outlineStyle, width: parseFloat(own.outlineWidth), color: own.outlineColor,
            behind: getComputedStyle(box || document.documentElement).backgroundColor,
            visible: el.matches(":focus-visible")};
}"""


def test_the_focus_ring_stands_out_on_cards_and_on_the_page(page, site, reader) -> None:
    """WCAG 1.4.11: 3:1 against what is around it, on a white card and on the page."""
    sign_in(page, reader)
    settle(page)
    page_background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    card_background = page.evaluate("getComputedStyle(document.querySelector('main .card')).backgroundColor")
    assert contrast(page_background, card_background) < 1.2  # two light backgrounds

    tab_to(page, "el.id === 'video-url'")  # in the submit form's card
    on_card = page.evaluate(f"({FOCUS_STYLE})(document.activeElement)")
    tab_to(page, "el.tagName === 'A' && !!el.closest('ul.list')")  # a recent video, on the page
    on_page = page.evaluate(f"({FOCUS_STYLE})(document.activeElement)")
    assert on_card["behind"] == card_background and on_page["behind"] == page_background
    for where, ring in (("card", on_card), ("page", on_page)):
        assert ring["visible"] and ring["style"] == "solid" and ring["width"] >= 2, (where, ring)
        for background in (card_background, page_background):
            ratio = contrast(ring["color"], background)
            assert ratio >= 3, f"focus ring {ring['color']} on {background} ({where}): {ratio:.2f}:1"


def test_every_page_has_its_own_title(page, site, reader) -> None:
    """WCAG 2.4.2: the tab (and a screen reader, on arrival) says which page this is."""
    page.goto("/")
    expect(page).to_have_title(f"Sign in · {SITE_NAME}")
    page.get_by_role("button", name="Forgot password?").click()
    expect(page).to_have_title(f"Forgot your password? · {SITE_NAME}")
    page.get_by_role("button", name="Back to sign in").click()
    sign_in(page, reader)
    engines = reader["engines"]
    titles = {}
    for path, title in [("/", "Make study notes"),
                        (f"/videos/{engines['video_id']}", "Heat Engines and the Carnot Limit"),
                        (f"/notes/{engines['note_id']}", "Heat Engines and the Carnot Limit"),
                        ("/library", "Your library"),
                        ("/library?category=Physics", "Your library: Physics"),
                        ("/credits", "Credits"),
                        ("/settings", "Exports and preferences"),
                        ("/review", "Review"),
                        ("/no/such/page", "Page not found")]:
        page.goto(path)
        expect(page).to_have_title(f"{title} · {SITE_NAME}")
        titles[path] = page.title()
    # Moving inside the client (no reload) changes it too.
    page.get_by_role("link", name="Credits").first.click()
    expect(page).to_have_title(f"Credits · {SITE_NAME}")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Library").click()
    expect(page).to_have_title(f"Your library · {SITE_NAME}")


def test_a_refused_link_is_announced_and_the_field_focused(page, site) -> None:
    user = site.register()
    sign_in(page, user)
    sent: list[str] = []
    page.on("request", lambda r: r.method == "POST" and r.url.endswith("/videos") and sent.append(r.url))
    field = page.get_by_label("YouTube link or video ID")
    field.fill("https://vimeo.com/12345")
    page.get_by_role("button", name="Make notes").click()
    announced = page.get_by_test_id("submit-refused")
    expect(announced).to_have_attribute("role", "alert")
    expect(announced).to_contain_text("not a YouTube link we recognise")
    expect(field).to_be_focused()
    assert field.get_attribute("aria-invalid") == "true"
    # Again: a new announcement (a live region only speaks what changes).
    page.get_by_role("button", name="Make notes").focus()
    page.keyboard.press("Enter")
    expect(field).to_be_focused()
    expect(page.get_by_role("alert")).to_have_count(1)
    assert sent == []


def test_closing_a_dialog_gives_focus_back_to_the_button_that_opened_it(page, site) -> None:
    user = site.register("Focus")
    site.process(user, "sbPhysics01")
    sign_in(page, user, "/library")
    delete = page.get_by_role("button", name="Delete Entropy and the Second Law")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()
    delete.click()  # and with Escape
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(delete).to_be_focused()

    # The note page's Delete, and the video page's.
    page.get_by_role("link", name="Entropy and the Second Law").click()
    note_delete = page.get_by_role("button", name="Delete", exact=True)
    note_delete.click()
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()
    expect(note_delete).to_be_focused()


def test_no_link_sits_inside_a_question_summary(page, site, reader) -> None:
    """axe's nested-interactive: each review question's timestamp moves into its answer."""
    sign_in(page, reader, f"/notes/{reader['engines']['note_id']}")
    questions = page.locator(".markdown details.callout")
    expect(questions.first).to_be_attached()
    assert page.locator(".markdown summary a, .markdown summary button").count() == 0
    first = questions.first
    label = first.locator("summary .timestamp")
    expect(label).to_have_count(1)  # the time still shows beside the question, as text
    link = first.locator("a.timestamp")
    assert link.text_content() == label.text_content()
    assert not link.is_visible()
    first.locator("summary").click()
    expect(link).to_be_visible()
    assert first.locator(".callout-links").inner_text().startswith("In the lecture:")
    assert re.match(r"https://www\.youtube\.com/watch\?v=sbEngines01&t=\d+s$", link.get_attribute("href"))
