"""A claim agrees with its quote (issue 21, item 8; docs/DESIGN.md section 6): every
number, date and negation an item's text states is said in its quote or the transcript
sentence around it, in any form a lecturer says it; an item stating more is unverified,
like one whose quote was not found."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from chalicelib.notes import claude, drafts, generators, grounding, markdown
from chalicelib.youtube.transcript_model import Segment, Transcript
from testkit import fake_anthropic
from testkit.fake_anthropic import FakeAnthropic

CORPUS = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "lectures"


def transcript(lines: list[str], seconds: float = 3.0, generated: bool = False) -> Transcript:
    return Transcript(video_id="qbClaims001", title="Claims", channel="c",
                      duration_seconds=int(len(lines) * seconds) + 1, language="en",
                      is_generated=generated,
                      segments=[Segment(t, i * seconds, seconds) for i, t in enumerate(lines)])


def agrees(claim: str, quote: str, sentence: str = "") -> bool:
    return grounding.claim_agrees(claim, quote, sentence)


# --- numbers, in any form a lecturer says them --------------------------------------

@pytest.mark.parametrize("claim,said", [
    ("The worst years were 1347 to 1351.", "the worst years were thirteen forty-seven to "
                                           "thirteen fifty-one"),
    ("The worst years were thirteen forty-seven to thirteen fifty-one.",
     "the worst years were 1347 to 1351"),
    ("Einstein published it in 1905.", "einstein published it in nineteen oh five"),
    ("The treaty was signed in 2024.", "the treaty was signed in twenty twenty-four"),
    ("The war ended in 2008.", "the war ended in two thousand and eight"),
    ("The ratio is 1.5.", "the ratio is one point five"),
    ("Pi is about 3.14.", "pi is about three point one four"),
    ("About 20 students came.", "about twenty students came"),
    ("About twenty students came.", "about 20 students came"),
    ("The plague killed 50 million people.", "the plague killed fifty million people"),
    ("The plague killed fifty million people.", "the plague killed 50 million people"),
    ("The city had 1.5 million people.", "the city had one and a half million people"),
    ("It cost 1,000,000 dollars.", "it cost a million dollars"),
    ("Sixty percent of them died.", "some historians say 60% of them died"),
    ("60% of them died.", "some historians say sixty per cent of them died"),
    ("Half of the population died.", "fifty percent of the population died"),
    ("A third of Europe died.", "about a third of europe died"),
    ("Two thirds of the cells divide.", "two thirds of the cells divide"),
    ("It happened in the 19th century.", "it happened in the nineteenth century"),
    ("It happened in the twenty-first century.", "it happened in the 21st century"),
    ("Cities boomed in the 1340s.", "cities boomed in the thirteen forties"),
    ("Es starben 50 Millionen Menschen.", "es starben fünfzig Millionen Menschen"),
    ("Murieron 35 personas.", "murieron treinta y cinco personas"),
    ("Carbon-14 has a half-life of 5,730 years.",
     "carbon fourteen has a half life of five thousand seven hundred and thirty years"),
])
def test_a_number_said_in_another_form_agrees(claim, said):
    assert agrees(claim, said)


@pytest.mark.parametrize("claim,said", [
    ("The plague killed 50 million people.", "the plague killed millions of people"),
    ("The worst years were 1347 to 1352.", "the worst years were thirteen forty-seven to "
                                           "thirteen fifty-one"),
    ("Einstein published it in 1906.", "einstein published it in nineteen oh five"),
    ("The ratio is 1.6.", "the ratio is one point five"),
    ("About 21 students came.", "about twenty students came"),
    ("The city had 15 million people.", "the city had one point five million people"),
    ("Sixty percent of them died.", "sixty of them died"),
    ("Half of the population died.", "a third of the population died"),
    ("It happened in the 18th century.", "it happened in the nineteenth century"),
    ("It happened in 1850.", "it happened in the eighteen fifties"),
    ("Es starben 50 Millionen Menschen.", "es starben fünf Millionen Menschen"),
    ("The plague killed millions in 1347.", "the plague killed millions"),
])
def test_a_number_the_quote_does_not_say_is_not_agreed(claim, said):
    assert not agrees(claim, said)


def test_words_that_are_not_numbers_here_state_nothing():
    # "one" as a pronoun, "first"/"second" as discourse, "once" (Spanish eleven).
    assert agrees("One of the key ideas is entropy.", "a key idea is entropy")
    assert agrees("Once the ice melts, water flows first downhill.",
                  "when the ice melts water flows downhill")
    assert agrees("No one knows why.", "nobody knows why")
    assert agrees("Water (H2O) and CO2 are small molecules.", "water and carbon dioxide "
                  "are small molecules")
    # ...but a number said as one still counts.
    assert not agrees("It has 1 nucleus.", "it has a nucleus")
    assert not agrees("It has three nuclei.", "it has several nuclei")


def test_what_stands_inside_a_latex_formula_is_left_to_the_quote():
    said = "einstein wrote that e equals m c squared"
    assert agrees("Einstein wrote $E = mc^2$.", said)
    assert agrees("The area is $$\\frac{1}{2} b h$$ for any triangle.",
                  "the area of any triangle is half the base times the height")
    # Outside the formula the same numbers are claims like any other.
    assert not agrees("Einstein wrote E = mc^2.", said)
    assert not agrees("Einstein wrote $E = mc^2$ in 1905.", said)
    # A price is no formula: "$5 and $10" opens none.
    assert not agrees("It costs $5 and $10.", "it costs five dollars")


# --- negations ------------------------------------------------------------------------

def test_an_added_negation_is_not_agreed():
    assert not agrees("A shear does not change the area.", "a shear changes the area of "
                      "the square")
    assert not agrees("Entropy never decreases.", "entropy decreases in some places")
    assert not agrees("It isn't zero.", "it is zero")


def test_a_negation_said_in_another_form_agrees():
    quote = "entropy does not decrease in an isolated system"
    assert agrees("Entropy never decreases in an isolated system.", quote)
    assert agrees("In an isolated system entropy can't decrease.", quote)
    assert agrees("The determinant isn't zero.", "the determinant is not zero")
    assert agrees("Die Fläche ändert sich nicht.", "die Scherung ändert die Fläche nicht")


def test_a_negation_dropped_from_the_word_its_quote_negates_is_not_agreed():
    assert not agrees("A shear changes the area.", "a shear does not change the area")
    assert not agrees("Entropy decreases over time.", "entropy never decreases over time")
    assert not agrees("Entropy is conserved.", "entropy isn't conserved at all")
    # A paraphrase that says the same without repeating the negated word is fine,
    # and "not only ... but also" negates nothing.
    assert agrees("Division by zero is undefined.", "you can't divide by zero")
    assert agrees("It is fast and cheap.", "it is not only fast but also cheap")
    assert agrees("A shear does change nothing about the area.", "a shear does not "
                  "change the area")
    assert agrees("Little is known about its origin.", "we don't know much about its origin")


# --- the sentence around the quote ----------------------------------------------------

PUNCTUATED = ["The Black Death reached Europe in 1347.", "It killed about a third of the "
              "population,", "according to most historians.", "Cities recovered slowly."]


def test_the_sentence_is_the_transcripts_from_the_quotes_sentence_start_to_its_end():
    text = grounding.TranscriptText(transcript(PUNCTUATED))
    found = text.find("killed about a third of the population")
    assert found is not None and found.end - found.word == 7
    assert text.sentence(found) == ("It killed about a third of the population, according "
                                    "to most historians.")
    # Said in that sentence, in another caption line: agreed. Said a sentence before: not.
    sentence = text.sentence(found)
    assert agrees("Most historians say a third died.", "killed about a third of the "
                  "population", sentence)
    assert not agrees("A third died in 1347.", "killed about a third of the population",
                      sentence)
    # "Dr." ends no sentence.
    dr = grounding.TranscriptText(transcript(["We thank Dr. Snow, who found 578 deaths.",
                                              "Then the pump was closed."]))
    assert dr.sentence(dr.find("snow who found 578 deaths")) == \
        "We thank Dr. Snow, who found 578 deaths."


AUTO = ("okay so one more thing about the plague before we stop for today the numbers "
        "are hard to pin down but the most common estimate is that it killed about a third "
        "of the people of europe and in florence it was more like sixty percent and then "
        "it came back every decade or so for the next three hundred years").split()


def test_captions_without_punctuation_take_the_quote_and_fifteen_words_each_side():
    lines = [" ".join(AUTO[i:i + 6]) for i in range(0, len(AUTO), 6)]
    text = grounding.TranscriptText(transcript(lines, generated=True))
    quote = "the most common estimate is that it killed about a third"
    found = text.find(quote)
    sentence = text.sentence(found).split()
    start = AUTO.index("most") - 1
    assert sentence == AUTO[start - grounding.CONTEXT_WORDS:
                            start + 11 + grounding.CONTEXT_WORDS]
    assert agrees("In Florence it was 60%.", quote, text.sentence(found))  # 13 words on
    assert not agrees("It came back for 300 years.", quote, text.sentence(found))  # 26 on
    # A number said across the window's edge is read whole.
    words = ["so"] * 30 + ["we", "say", "it", "was", "the", "worst", "of", "all", "the",
                           "plagues", "and", "we", "think", "it", "began", "in", "thirteen",
                           "forty", "seven", "in", "asia"]
    captions = grounding.TranscriptText(transcript([" ".join(words)], generated=True))
    said = captions.find("we say it was the worst of all")
    assert "thirteen forty seven" in captions.sentence(said)
    assert agrees("It began in 1347.", "we say it was the worst of all",
                  captions.sentence(said))


# --- ground() applies it to every item -------------------------------------------------

FACTS = ["The Black Death reached Europe in 1347.",
         "Most historians say it killed about a third of the population.",
         "A shear does not change the area of the square.",
         "The determinant of the identity is one."]


def facts_draft() -> dict:
    quote = "it killed about a third of the population"
    shear = "a shear does not change the area"
    return {
        "title": "t", "summary": "s",
        "core_concepts": [
            {"term": "Shear", "definition": "A map that does not change the area.",
             "quote": shear, "hint": 6.0},
            {"term": "Shear", "definition": "A map that changes the area.", "quote": shear,
             "hint": 6.0}],
        "key_points": [
            {"text": "It killed about a third of the population.", "quote": quote,
             "hint": 3.0},
            {"text": "It killed 50 million people.", "quote": quote, "hint": 3.0}],
        "sections": [{"title": "Plague", "hint": 0.0, "timestamp": None, "bullets": [
            {"text": "It reached Europe in 1347.", "quote": "the black death reached europe "
             "in 1347", "hint": 0.0},
            {"text": "It reached Europe in 1348.", "quote": "the black death reached europe "
             "in 1347", "hint": 0.0}]}],
        "review_questions": [
            {"question": "How many died?", "kind": "recall", "answer": "About a third.",
             "quote": quote, "hint": 3.0},
            {"question": "How many died?", "kind": "recall", "answer": "About a half.",
             "quote": quote, "hint": 3.0}],
    }


def test_ground_checks_definitions_key_points_bullets_and_answers():
    draft = grounding.ground(facts_draft(), transcript(FACTS))
    pairs = [draft["core_concepts"], draft["key_points"], draft["sections"][0]["bullets"],
             draft["review_questions"]]
    for agreeing, stating_more in pairs:
        assert agreeing["verified"] is True and agreeing["timestamp"] is not None
        # Treated as a quote not found: unverified, no timestamp.
        assert stating_more["verified"] is False and stating_more["timestamp"] is None
    # `verified` still counts [checked, all].
    assert draft["verified"] == [4, 8]
    # A section starts at its checked bullets, never at an unchecked one.
    assert draft["sections"][0]["timestamp"] == 0.0


def test_the_offline_writers_items_from_the_lecture_agree_with_their_quotes():
    # Items copied from the transcript state nothing their sentence does not.
    for stem in ("hist_black_death_auto", "math_determinants", "de_photosynthese"):
        lecture = Transcript.from_dict(json.loads((CORPUS / f"{stem}.json").read_text()))
        text = grounding.TranscriptText(lecture)
        for segment in lecture.segments[:60]:
            if len(segment.text.split()) >= grounding.MIN_QUOTE_WORDS:
                found = text.find(segment.text, near=segment.start)
                assert found is not None
                assert agrees(segment.text, segment.text, text.sentence(found)), segment.text


# --- through the real anthropic SDK, against the local fake ----------------------------

@pytest.fixture
def fake(monkeypatch):
    with FakeAnthropic() as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.url)
        monkeypatch.setenv("ANTHROPIC_MAX_RETRIES", "0")
        yield api


def claimed(item: dict) -> str:
    return item.get("definition") or item.get("answer") or item.get("text") or ""


def test_claude_items_stating_more_than_their_true_quotes_are_never_shown_as_checked(fake):
    lecture = Transcript.from_dict(json.loads((CORPUS / "math_determinants.json").read_text()))
    fake.answer = lambda r: fake_anthropic.with_unsupported_claims(
        fake_anthropic.default_answer(r))
    generated = claude.write_draft(lecture, drafts.Options(), "claude-sonnet-5-5")
    draft = generators.finish(generated.draft, lecture)
    # What the fake changed: the same request's default answer, item by item.
    (request,) = fake.requests
    honest = fake_anthropic.default_answer(request)
    changed = [claimed(b) for a, b in zip(fake_anthropic._items(honest),
                                          fake_anthropic._items(
                                              fake_anthropic.with_unsupported_claims(
                                                  fake_anthropic.default_answer(request))),
                                          strict=True) if claimed(a) != claimed(b)]
    assert len(changed) == 4  # a definition, a key point, a bullet, an answer
    items = list(grounding.grounded_items(draft))
    text = grounding.TranscriptText(lecture)
    for item in items:
        # Every quote is true: the item's own text is what fails.
        assert text.find(item["quote"]) is not None
        assert item["verified"] is (claimed(item) not in changed), claimed(item)
    assert draft["verified"] == [len(items) - 4, len(items)]

    content = markdown.render(draft=draft, video_id=lecture.video_id, title=draft["title"],
                              channel="c", duration_seconds=lecture.duration_seconds,
                              category="Mathematics", tags=[], created="x",
                              generator="claude-sonnet-5-5")
    assert f'\nverified: "{len(items) - 4}/{len(items)}"\n' in content
    body, callout = content.split("\n> [!warning]- Not found in the transcript (4)\n")
    assert callout.count("\n") == 4 and all(line.startswith("> - ")
                                            for line in callout.splitlines())
    for claim in changed:
        shown = markdown._escape_line(claim)
        assert shown not in body  # not in any study section
        # Once per changed item (two items may say the same thing of one line).
        assert sum(line.endswith(shown) for line in callout.splitlines()) == \
            changed.count(claim)
    assert "50 million" not in body and "in 50 million cases" in callout
    # Every item left in the study sections links to where its quote is said.
    for line in body.split("## Core Concepts", 1)[1].splitlines():
        if line.startswith("- ") or line.startswith("> [!question]-"):
            assert re.search(r"\(\[\d\d:\d\d\]\(https://www\.youtube\.com/watch\?v=", line)
