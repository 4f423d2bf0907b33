"""Search and Ask in real Chromium (issue 23 item 5, docs/DESIGN.md sections 11 and 13),
against the real stack: the notes are the ones processing seeded lectures made, their
index written when they were saved. A search box on every page; hits and citations open
the video at their second; an uncovered question says so; nothing a lecture says is
ever read as HTML."""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser.conftest import expect, lecture, sign_in
from tests.browser.test_accessibility import AxeWalk, axe_page  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SITE_NAME = "YouTube Study Buddy"
HOSTILE = lecture("sbHostile01", "Markup in a lecture", [
    "Today a slide showed the tag <img src=x onerror=\"window.pwned=1\"> as plain text.",
    "Browsers must never run markup that a lecturer happens to say out loud.",
    "A search result shows the words of the lecture exactly as they were said.",
    "The escaping of text is what keeps a page safe from injected scripts.",
] * 3)


def second_of(url: str) -> int:
    found = re.fullmatch(r"(\d+)s", parse_qs(urlsplit(url).query)["t"][0])
    assert found, url
    return int(found.group(1))


def test_the_search_box_finds_the_moment_in_the_lecture(page, site, reader) -> None:
    sign_in(page, reader, "/library")
    page.get_by_role("heading", name="Your library").wait_for()
    box = page.get_by_role("search").get_by_label("Search your lectures")
    box.fill("most efficient engine between two temperatures")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=most"))
    expect(page).to_have_title(f"Search: most efficient engine between two temperatures · {SITE_NAME}")
    first = page.get_by_test_id("search-hit").first
    expect(first).to_contain_text("Heat Engines and the Carnot Limit")
    video = first.get_by_test_id("hit-video")
    href = video.get_attribute("href")
    assert href.startswith(f"https://www.youtube.com/watch?v={reader['engines']['youtube_video_id']}&t=")
    assert video.get_attribute("target") == "_blank"
    assert "noopener" in video.get_attribute("rel")
    # The Carnot line is the third of the lecture, 12 s each: said at 24 s (and again at 120 s).
    assert min(abs(second_of(href) - t) for t in (24, 120)) <= 30
    expect(video).to_contain_text(re.compile(r"Watch at \d+:\d\d"))
    # The note's title opens the note.
    first.get_by_role("link", name="Heat Engines and the Carnot Limit", exact=True).click()
    expect(page).to_have_url(re.compile(f"/notes/{reader['engines']['note_id']}$"))
    # The box is on every page, the query kept on the Search page only.
    for path in ("/", "/review", "/credits", "/settings"):
        page.goto(path)
        expect(page.get_by_role("search").get_by_label("Search your lectures")).to_have_value("")
    page.goto("/search?q=Carnot")
    expect(page.get_by_role("search").get_by_label("Search your lectures")).to_have_value("Carnot")


def test_nothing_found_says_so(page, site, reader) -> None:
    sign_in(page, reader, "/search?q=zyxwvut")
    expect(page.get_by_test_id("search-count")).to_have_text("Nothing in your lectures matches “zyxwvut”.")


def test_a_misspelled_search_says_what_it_searched_for(page, site, reader) -> None:
    sign_in(page, reader, "/search?q=Carnot efficiency")
    hits = page.get_by_test_id("search-hit")
    expect(page.get_by_test_id("search-results")).to_contain_text("Heat Engines and the Carnot Limit")
    spelled_right = hits.all_inner_texts()
    expect(page.get_by_test_id("search-respelled")).to_have_count(0)
    page.goto("/search?q=Carnnot efficency")
    expect(page.get_by_test_id("search-respelled")).to_have_text(
        "No lecture says “Carnnot”: searched for “Carnot” instead. "
        "No lecture says “efficency”: searched for “efficiency” instead.")
    expect(hits).to_have_count(len(spelled_right))
    assert hits.all_inner_texts() == spelled_right


def test_ask_gives_an_answer_cited_to_the_second(page, site, reader) -> None:
    sign_in(page, reader, "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ask").click()
    expect(page).to_have_title(f"Ask your lectures · {SITE_NAME}")
    page.get_by_label("Your question").fill("Which engine is the most efficient between two temperatures?")
    page.get_by_role("button", name="Ask", exact=True).click()
    answer = page.get_by_test_id("answer")
    expect(answer).to_be_visible()
    marker = answer.locator("a.cite").first
    href = marker.get_attribute("href")
    assert href.startswith(f"https://www.youtube.com/watch?v={reader['engines']['youtube_video_id']}&t=")
    assert min(abs(second_of(href) - t) for t in (24, 120)) <= 30
    expect(marker).to_have_text("[1]")
    expect(page.get_by_test_id("verified")).to_contain_text(re.compile(r"\d+/\d+"))
    citation = page.get_by_test_id("citation").first
    expect(citation).to_contain_text("Heat Engines and the Carnot Limit")
    assert citation.get_by_role("link").get_attribute("href") == href


def test_a_question_the_lectures_do_not_cover_says_so(page, site, reader) -> None:
    sign_in(page, reader, "/ask")
    page.get_by_label("Your question").fill("Who won the 1998 football world cup final?")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_test_id("not-covered")).to_have_text("Your lectures don't cover this.")
    expect(page.get_by_test_id("answer")).to_have_count(0)


def test_markup_a_lecture_says_is_shown_as_text(page, site) -> None:
    site.cache_transcript(HOSTILE)
    user = site.register("Careful Reader")
    site.process(user, "sbHostile01")
    sign_in(page, user, "/search?q=" + "slide showed the tag img onerror")
    first = page.get_by_test_id("search-hit").first
    expect(first).to_contain_text('<img src=x onerror="window.pwned=1">')
    assert page.locator("main img").count() == 0
    page.goto("/ask?q=What tag did the slide show as plain text?")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_test_id("answer")).to_contain_text("<img")
    assert page.locator("main img").count() == 0
    assert page.evaluate("() => window.pwned") is None


def test_axe_finds_nothing_on_search_and_ask_at_either_width(axe_page, site, reader) -> None:
    """axe-core's WCAG 2.1 A and AA rules (as tests/browser/test_accessibility.py runs
    them) at 1280 and 375 px: hits, nothing found, the Ask form, an answer, a refusal."""
    page = axe_page
    walk = AxeWalk(page)
    check = walk.check

    sign_in(page, reader, "/search?q=Carnot engine")
    page.get_by_test_id("search-hit").first.wait_for()
    check("search, hits")
    page.goto("/search?q=zyxwvut")
    page.get_by_test_id("search-count").wait_for()
    check("search, nothing found")
    page.goto("/ask")
    check("ask, empty")
    page.get_by_label("Your question").fill("Which engine is the most efficient between two temperatures?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.get_by_test_id("answer").wait_for()
    check("ask, cited answer")
    page.get_by_label("Your question").fill("Who won the 1998 football world cup final?")
    page.get_by_role("button", name="Ask", exact=True).click()
    page.get_by_test_id("not-covered").wait_for()
    check("ask, not covered")
    walk.assert_clean()


def test_a_question_too_long_is_never_cut_silently(page, site, reader) -> None:
    sign_in(page, reader, "/ask")
    box = page.get_by_label("Your question")
    long_question = "Why does entropy grow? " + "Please explain it in detail. " * 80
    box.fill(long_question)
    expect(box).to_have_value(long_question)  # nothing cut behind the student's back
    expect(page.get_by_test_id("question-length")).to_have_text(
        f"A question is at most 500 characters; yours has {len(long_question.strip())}. "
        "Shorten it to ask.")
    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_disabled()
    box.fill("Why does entropy grow?")
    expect(page.get_by_test_id("question-length")).to_have_text("22/500 characters")
    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_enabled()
    # A link's question is not cut either: it says so before anything is sent.
    page.goto("/ask?q=" + "entropy " * 100)
    expect(page.get_by_test_id("question-length")).to_contain_text("yours has 799")
    expect(page.get_by_role("button", name="Ask", exact=True)).to_be_disabled()


def test_a_search_too_long_is_never_cut_silently(page, site, reader) -> None:
    sign_in(page, reader, "/")
    box = page.get_by_role("searchbox", name="Search your lectures")
    long_query = "entropy and the second law " * 20
    box.fill(long_query)
    expect(box).to_have_value(long_query)
    box.press("Enter")
    expect(page.get_by_test_id("search-too-long")).to_have_text(
        f"A search is at most 500 characters; yours has {len(long_query.strip())}. "
        "Shorten it in the search box above.")
    expect(page.get_by_test_id("search-results")).to_have_count(0)
