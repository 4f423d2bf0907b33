"""Reading notes: safe Markdown, timestamps (and the player they seek), folded
answers, [[links]] between notes, download as .md; the library and exports."""
from __future__ import annotations

import io
import json
import re
import time
import zipfile
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import expect, sign_in

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def open_note(page, title: str) -> None:
    page.get_by_role("link", name="Library").click()
    page.get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", level=1, name=title).wait_for()


def test_note_renders_safely_with_folded_answers_and_timestamps(page, watch, site, reader) -> None:
    sign_in(page, reader)
    open_note(page, "Heat Engines and the Carnot Limit")
    body = page.locator(".markdown")
    assert body.get_by_role("heading", name="Review Questions").count() == 1
    # Nothing active or remote comes out of a note.
    assert body.locator("script, img, iframe, style, object, embed, form").count() == 0
    for href in body.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        assert re.match(r"^(https?://|/notes/)", href), href

    # Review answers are folded until their question is clicked.
    questions = body.locator("details.callout")
    assert questions.count() >= 5
    assert questions.evaluate_all("ds => ds.every(d => !d.open)")
    first = questions.first
    answer = first.locator("p").first
    assert not answer.is_visible()
    first.locator("summary").click(position={"x": 5, "y": 5})
    assert answer.is_visible() and answer.inner_text().strip()

    # Timestamps link to the video at that second, in a new tab...
    stamp = body.locator("a.timestamp").first
    href = stamp.get_attribute("href")
    seconds = int(stamp.get_attribute("data-seconds"))
    assert href == f"https://www.youtube.com/watch?v=sbEngines01&t={seconds}s"
    assert stamp.get_attribute("target") == "_blank"
    assert "noopener" in stamp.get_attribute("rel")

    # ...or, with the player open, seek it (YouTube's embed is stubbed offline).
    page.get_by_role("button", name="Watch alongside").click()
    player = page.frame_locator("iframe[title='YouTube player']")
    player.locator("text=stub player").wait_for()
    expect(page.get_by_test_id("player-state")).to_have_text("Timestamps now play here.")
    frame = next(f for f in page.frames if "youtube-nocookie.com/embed/sbEngines01" in f.url)
    later = body.locator("a.timestamp").nth(3)
    later_seconds = int(later.get_attribute("data-seconds"))
    url_before = page.url
    later.click()
    frame.wait_for_function("window.received.some(m => m.func === 'seekTo')")
    received = frame.evaluate("window.received")
    seeks = [m for m in received if isinstance(m, dict) and m.get("func") == "seekTo"]
    assert [(m["event"], m["args"]) for m in seeks] == [("command", [later_seconds, True])], received
    assert page.url == url_before and len(page.context.pages) == 1
    assert not any("youtube.com/watch" in url for url in watch.blocked)


def test_a_player_that_cannot_load_leaves_timestamps_as_links(page, watch, site, reader) -> None:
    """Offline, YouTube's embed never answers: timestamps must still open YouTube."""
    page.route("https://www.youtube-nocookie.com/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<!doctype html><p>silent</p>"))
    sign_in(page, reader)
    open_note(page, "Heat Engines and the Carnot Limit")
    page.get_by_role("button", name="Watch alongside").click()
    expect(page.get_by_test_id("player-state")).to_contain_text("open the video on YouTube")
    stamp = page.locator(".markdown a.timestamp").first
    href = stamp.get_attribute("href")
    with page.context.expect_page() as popup:
        stamp.click()
    popup.value.wait_for_load_state()
    assert href in watch.blocked  # the new tab went to YouTube (aborted here: offline)
    popup.value.close()


def test_wiki_link_opens_the_linked_note(page, site, reader) -> None:
    sign_in(page, reader)
    open_note(page, "Heat Engines and the Carnot Limit")
    link = page.locator(".markdown a.wikilink", has_text="Entropy and the Second Law").first
    assert link.get_attribute("href") == f"/notes/{reader['physics']['note_id']}"
    link.click()
    page.get_by_role("heading", level=1, name="Entropy and the Second Law").wait_for()
    assert urlsplit(page.url).path == f"/notes/{reader['physics']['note_id']}"
    page.go_back()
    page.get_by_role("heading", level=1, name="Heat Engines and the Carnot Limit").wait_for()


def test_download_note_as_markdown(page, site, reader) -> None:
    sign_in(page, reader)
    open_note(page, "Heat Engines and the Carnot Limit")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download .md").click()
    download = info.value
    assert download.suggested_filename == "Heat Engines and the Carnot Limit.md"
    text = open(download.path(), encoding="utf-8").read()
    assert text.startswith('---\ntitle: "Heat Engines and the Carnot Limit"')
    assert "[[Entropy and the Second Law]]" in text


def test_verified_count_is_visible(page, site, reader) -> None:
    sign_in(page, reader)
    open_note(page, "Entropy and the Second Law")
    verified = page.get_by_test_id("verified")
    verified.wait_for(timeout=15_000)
    assert re.search(r"\d+/\d+ items found in the transcript", verified.inner_text())


def test_library_by_category_filter_and_delete(page, site) -> None:
    user = site.register("Librarian")
    for video in ("sbPhysics01", "sbEngines01", "sbHistory01"):
        site.process(user, video)
    categories = {c["name"]: c["note_count"] for c in site.call(user, "GET", "/categories").json()["categories"]}
    sign_in(page, user, "/library")
    nav = page.get_by_role("navigation", name="Categories")
    nav.get_by_role("button", name="All (3)").wait_for()
    for name, count in categories.items():
        assert nav.get_by_role("button", name=f"{name} ({count})").count() == 1
    notes = page.get_by_role("list", name="Notes").get_by_role("link")
    # The counts and the list arrive in separate replies: wait for the list itself.
    expect(notes).to_have_text([  # newest first
        "The Printing Press and the Spread of Ideas", "Heat Engines and the Carnot Limit",
        "Entropy and the Second Law"], timeout=15_000)

    # A category shows only its notes.
    physics_count = categories[next(n for n in categories if n == "Physics")]
    nav.get_by_role("button", name=f"Physics ({physics_count})").click()
    page.wait_for_url("**/library?category=Physics")
    page.get_by_role("heading", level=1, name="Your library: Physics").wait_for()
    expect(page.locator("ul.notes li")).to_have_count(2)
    nav.get_by_role("button", name="All (3)").click()
    expect(page.locator("ul.notes li")).to_have_count(3)

    # The filter narrows the titles as you type.
    box = page.get_by_label("Filter by title")
    box.press_sequentially("carn")
    expect(notes).to_have_text(["Heat Engines and the Carnot Limit"])
    box.fill("no such title")
    expect(notes).to_have_count(0)
    box.fill("")

    # Delete asks first; Cancel keeps the note.
    page.get_by_role("button", name="Delete The Printing Press and the Spread of Ideas").click()
    dialog = page.get_by_role("dialog")
    assert "cannot be undone" in dialog.inner_text()
    dialog.get_by_role("button", name="Cancel").click()
    expect(notes).to_have_count(3)
    page.get_by_role("button", name="Delete The Printing Press and the Spread of Ideas").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    nav.get_by_role("button", name="All (2)").wait_for()
    expect(notes).to_have_text(["Heat Engines and the Carnot Limit", "Entropy and the Second Law"])
    titles = [n["title"] for n in site.call(user, "GET", "/notes").json()["notes"]]
    assert "The Printing Press and the Spread of Ideas" not in titles


def test_library_pages_with_last_key(page, watch, site) -> None:
    user = site.register("Collector")
    for number in range(21):
        video_id = f"sbPage{number:05d}"
        site.cache_transcript({
            "video_id": video_id, "title": f"Paging lecture {number:02d}", "channel": "Tests",
            "duration_seconds": 60, "language": "en", "is_generated": False, "chapters": [],
            "segments": [{"text": f"Lecture {number} says that sentence {i} of the paging series matters.",
                          "start": i * 10.0, "duration": 9.0} for i in range(6)]})
        site.submit(user, video_id)
    # All 21 complete (the two workers take them in turn).
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        videos = site.call(user, "GET", "/videos", params={"limit": 100}).json()["videos"]
        if all(v["status"] == "completed" for v in videos) and len(videos) == 21:
            break
        time.sleep(0.5)
    sign_in(page, user, "/library")
    items = page.locator("ul.notes li")
    expect(page.locator("ul.notes li")).to_have_count(20)
    load_more = page.get_by_role("button", name="Load more")
    load_more.click()
    expect(page.locator("ul.notes li")).to_have_count(21)
    assert load_more.count() == 0
    titles = items.locator("a").all_inner_texts()
    assert len(set(titles)) == 21
    pages = [url for url in watch.requests if "/notes?" in url and "limit=20" in url]
    assert len(pages) == 2 and "last_key=" not in pages[0] and "last_key=" in pages[1], pages


def test_export_vault_and_anki(page, site, reader) -> None:
    sign_in(page, reader, "/settings")
    with page.expect_download() as info:
        page.get_by_role("button", name="Export Obsidian vault").click()
    download = info.value
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(open(download.path(), "rb").read())) as vault:
        names = vault.namelist()
        engines = next(n for n in names if n.endswith("/Heat Engines and the Carnot Limit.md"))
        assert "[[Entropy and the Second Law" in vault.read(engines).decode()
    assert any(n.endswith("Entropy and the Second Law.md") for n in names)
    ready = page.get_by_test_id("export-ready")
    assert "3 notes" in ready.inner_text()

    with page.expect_download() as info:
        page.get_by_role("button", name="Export Anki deck").click()
    deck = open(info.value.path(), encoding="utf-8").read()
    assert deck.startswith("#separator:tab")


def test_preferences_are_saved(page, site) -> None:
    user = site.register("Prefs")
    sign_in(page, user, "/settings")
    page.get_by_label("Language of the notes").select_option("de")
    page.get_by_label("Note style").select_option("concise")
    page.get_by_label("Include review questions").uncheck()
    page.get_by_label("Default subject (optional)").fill("Chemistry")
    page.get_by_label("Your name").fill("Marie")
    page.get_by_role("button", name="Save preferences").click()
    page.get_by_text("Preferences saved.").wait_for()
    profile = site.call(user, "GET", "/user").json()
    assert profile["name"] == "Marie"
    assert profile["preferences"] == {"language": "de", "note_style": "concise",
                                      "include_questions": False, "default_subject": "Chemistry",
                                      "desired_retention": 0.9, "new_cards_per_day": 20,
                                      "reviews_per_day": 200, "timezone": "UTC"}
    page.reload()
    assert page.get_by_label("Language of the notes").input_value() == "de"
    assert page.get_by_label("Default subject (optional)").input_value() == "Chemistry"
    assert not page.get_by_label("Include review questions").is_checked()


HOSTILE = '''---
title: "Hostile"
video_id: sbEngines01
verified: "7/9"
---
# Hostile

<script>window.pwned = 1</script>
<img src="https://evil.example/pixel.png" onerror="window.pwned = 2">
Inline <b onclick="window.pwned = 3">bold</b> and ![tracker](https://evil.example/t.png).

[script link](javascript:window.pwned=4) [data link](data:text/html,<script>1</script>)
[vb](vbscript:msgbox) [relative](/credits) [fine](https://example.org/page)
[[No Such Note]] and [[Entropy and the Second Law|the entropy lecture]]

> [!question]- What is safe?
> <i>Nothing</i> raw.
'''


def test_hostile_markdown_renders_inert(page, watch, site, reader) -> None:
    """The client's own guarantee, whatever the API sends: a note (served here by a
    stub of GET /notes/{id}) cannot run script, load remote images or link anywhere
    but http(s) and the student's own notes."""
    note_id = reader["engines"]["note_id"]

    def stub(route) -> None:
        real = route.fetch()
        body = real.json()
        body["content"] = HOSTILE
        route.fulfill(response=real, body=json.dumps(body))
    page.route(f"{site.api}/notes/{note_id}?include_content=true", stub)
    sign_in(page, reader, f"/notes/{note_id}")
    body = page.locator(".markdown")
    expect(body).to_contain_text("<script>window.pwned = 1</script>")  # shown as text
    assert body.locator("script, img, b, i, iframe").count() == 0
    expect(body).to_contain_text("[image: tracker]")
    hrefs = body.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["https://example.org/page", f"/notes/{reader['physics']['note_id']}"], hrefs
    assert body.locator("span.wikilink.missing", has_text="No Such Note").count() == 1
    expect(page.get_by_test_id("verified")).to_contain_text("7/9 items found in the transcript")
    question = body.locator("details.callout")
    assert question.count() == 1 and not question.evaluate("d => d.open")
    assert page.evaluate("window.pwned") is None
    assert not any("evil.example" in url for url in watch.requests)


LONG_FORMULA = "x+" * 1100 + "x"  # over the 2,000 characters that are typeset
WIDE_FORMULA = "+".join(f"a_{{{i}}}" for i in range(150))
FORMULAS = rf'''---
title: "Formulas"
video_id: sbEngines01
---
# Formulas

The Carnot efficiency is $\eta = 1 - \frac{{T_c}}{{T_h}}$ at best.

$$
\Delta S = \int \frac{{\delta Q}}{{T}}
$$

Tickets cost $5 and $10, or \$20 at the door.

Code keeps its dollars: `$x$`.

```
$$y$$
```

Hostile: $\href{{javascript:alert(1)}}{{x}}$ and $\htmlClass{{x}}{{y}}$ and $<img src=x onerror=alert(1)>$ and $\url{{javascript:alert(2)}}$.

Broken: $\frac{{1}}{{$ stays source.

Too long: ${LONG_FORMULA}$

$$ {WIDE_FORMULA} $$
'''


def test_formulas_render_with_katex_safely(page, watch, site, reader) -> None:
    """$...$ and $$...$$ typeset by KaTeX (fetched only for a note with a formula),
    with MathML for screen readers; dollar amounts and code keep their dollars; a
    formula makes no link, image or script; a bad or overlong one shows its source."""
    note_id = reader["engines"]["note_id"]

    def stub(route) -> None:
        real = route.fetch()
        body = real.json()
        body["content"] = FORMULAS
        route.fulfill(response=real, body=json.dumps(body))
    page.route(f"{site.api}/notes/{note_id}?include_content=true", stub)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    # A note without a formula does not fetch KaTeX.
    sign_in(page, reader, f"/notes/{reader['physics']['note_id']}")
    page.get_by_role("heading", level=1, name="Entropy and the Second Law").wait_for()
    expect(page.locator(".markdown p").first).to_be_visible()
    assert not [url for url in watch.requests if "katex" in url.lower()]

    page.goto(f"/notes/{note_id}")
    page.get_by_role("heading", level=1, name="Heat Engines and the Carnot Limit").wait_for()
    body = page.locator(".markdown")

    # Inline: typeset in its sentence, the TeX kept in MathML for screen readers.
    inline = body.locator("p", has_text="Carnot efficiency").locator(".math-inline > .katex")
    expect(inline).to_have_count(1)
    assert inline.locator(".katex-mathml math annotation").text_content() == r"\eta = 1 - \frac{T_c}{T_h}"
    assert inline.locator(".katex-html").get_attribute("aria-hidden") == "true"
    # KaTeX's layout comes from inline styles, given through the CSSOM (the page's
    # Content-Security-Policy refuses style attributes in HTML): the fraction stacks.
    assert body.locator("[data-katex-style]").count() == 0
    tops = [box["y"] for box in (span.bounding_box() for span in inline.locator(".mfrac > .vlist-t > .vlist-r:first-child > .vlist > span").all())]
    assert len(tops) == 3 and max(tops) - min(tops) > 5, tops

    # Display: a block of its own, MathML in display mode.
    display = body.locator("div.math-display > .katex-display > .katex")
    expect(display).to_have_count(2)
    first = display.first
    assert first.locator("math").get_attribute("display") == "block"
    assert first.locator("annotation").text_content() == r"\Delta S = \int \frac{\delta Q}{T}"
    # One wider than the page scrolls inside its box; the page does not widen.
    wide = body.locator("div.math-display").last
    assert wide.evaluate("el => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # Dollar amounts, an escaped dollar and code stay text.
    amounts = body.locator("p", has_text="Tickets cost")
    expect(amounts).to_have_text("Tickets cost $5 and $10, or $20 at the door.")
    assert amounts.locator(".math, .katex").count() == 0
    assert body.locator("p code").inner_text() == "$x$"
    assert body.locator("pre code").inner_text().strip() == "$$y$$"
    assert body.locator("code .katex").count() == 0

    # Hostile formulas are typeset as plain math: no link, image, script or class.
    hostile = body.locator("p", has_text="Hostile")
    expect(hostile.locator(".math-inline > .katex")).to_have_count(4)
    assert body.locator("a, img, script, iframe, object, embed, form, style").count() == 0
    assert body.locator(".x, [href], [src], [onerror], [onclick]").count() == 0
    assert "\\href" in hostile.inner_text()  # refused (trust is off): shown as its name

    # A bad formula and an overlong one show their source, escaped.
    broken = body.locator(".math-error")
    expect(broken).to_have_text(r"$\frac{1}{$")
    assert broken.locator("*").count() == 0 and "KaTeX parse error" in broken.get_attribute("title")
    overlong = body.locator(".math-source")
    expect(overlong).to_have_text(f"${LONG_FORMULA}$")
    assert overlong.locator("*").count() == 0

    # KaTeX (script, stylesheet, fonts) came from this site, after the formula note opened.
    # Polled from here: wait_for_function's in-page polling evaluates its predicate with
    # eval, which the site's CSP (script-src 'self') refuses when the first check fails.
    deadline = time.monotonic() + 15
    while not page.evaluate("() => [...document.fonts].some(f => f.family.replace(/\"/g, '')"
                            " === 'KaTeX_Main' && f.status === 'loaded')"):
        assert time.monotonic() < deadline, "KaTeX's font never loaded"
        page.wait_for_timeout(100)
    katex = [url for url in watch.requests if "katex" in url.lower()]
    assert {url.rsplit(".", 1)[-1] for url in katex} >= {"js", "css", "woff2"}, katex
    assert all(url.startswith(f"{site.origin}/assets/") for url in katex), katex
    assert not watch.blocked and not dialogs
