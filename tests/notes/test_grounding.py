"""Grounding (docs/DESIGN.md section 6): quotes are found in the transcript, the time
comes from where they are found, and an unfound item is never shown as checked."""
from __future__ import annotations

from chalicelib.notes import grounding, markdown
from chalicelib.youtube.transcript_model import Segment, Transcript

AUTO = [  # automatic captions: lowercase, no punctuation, fillers, a misheard name
    "okay so um today we are talking about the", "black death which is uh probably the",
    "worst disaster in european history and the", "bacterium was called your senia pestis",
    "and it lived in rats and fleas so", "if you know where the ships came from you",
    "know where the plague went next okay", "so the worst years were 1347 to 1351",
]


def transcript(lines: list[str], seconds: float = 3.0) -> Transcript:
    return Transcript(video_id="qbGround001", title="The Black Death", channel="c",
                      duration_seconds=int(len(lines) * seconds) + 1, language="en",
                      is_generated=True,
                      segments=[Segment(t, i * seconds, seconds) for i, t in enumerate(lines)])


def test_a_quote_is_found_across_segments_whatever_its_case_punctuation_and_fillers():
    text = grounding.TranscriptText(transcript(AUTO))
    found = text.find("The Black Death, which is probably the worst disaster in European "
                      "history!")
    assert found is not None and found.exact and found.start == 0.0  # "the" ends segment 0
    assert text.find("black death, which is probably the worst").start == 3.0
    # A filler in the quote or not, and apostrophes, do not matter either.
    assert text.find("Okay, so, today we are talking about the black death").start == 0.0
    assert text.find("If you know where the ship's came from").exact


def test_caption_noise_is_tolerated_but_an_invented_quote_is_not():
    text = grounding.TranscriptText(transcript(AUTO))
    misheard = text.find("the bacterium was called yersinia pestis and it lived in rats")
    assert misheard is not None and not misheard.exact and misheard.start == 6.0
    assert text.find("the plague was spread by mosquitoes across asia") is None
    assert text.find("black death") is None  # too short to prove anything


def test_a_repeated_quote_takes_the_occurrence_nearest_the_cited_line():
    lines = ["the second law says entropy never decreases", "now something else entirely",
             "so again the second law says entropy never decreases"]
    text = grounding.TranscriptText(transcript(lines, 100.0))
    assert text.find("the second law says entropy never decreases").start == 0.0
    assert text.find("the second law says entropy never decreases", near=190.0).start == 200.0


def test_a_quote_starting_mid_cue_takes_its_first_words_time_when_words_are_timed():
    # Automatic captions time every word (json3 tOffsetMs): a quote that starts in the
    # middle of a 6-second cue links to its own first word, not to the cue's start.
    cue = Segment("so the worst years were 1347 to 1351", 30.0, 6.0,
                  word_starts=[30.0, 30.4, 30.8, 31.2, 33.1, 33.5, 34.0, 34.6, 35.2])
    timed = Transcript(video_id="qbGround001", title="The Black Death", channel="c",
                       duration_seconds=40, language="en", is_generated=True,
                       segments=[Segment("okay so today we talk about plague", 20.0, 10.0),
                                 cue])
    found = grounding.TranscriptText(timed).find("were 1347 to 1351")
    assert found is not None and found.start == 33.1
    # Untimed cues keep their cue's start.
    found = grounding.TranscriptText(timed).find("today we talk about plague")
    assert found is not None and found.start == 20.0


def test_ground_sets_times_from_quotes_counts_verified_and_ignores_model_times():
    draft = {
        "title": "t", "summary": "s",
        "core_concepts": [{"term": "Yersinia pestis", "definition": "The bacterium.",
                           "quote": "bacterium was called your senia pestis", "hint": 0.0}],
        "key_points": [{"text": "Worst years 1347-1351.", "quote": "the worst years were 1347 "
                        "to 1351", "hint": 3.0, "timestamp": 5.0},
                       {"text": "Invented.", "quote": "the plague was spread by mosquitoes "
                        "across asia", "hint": 6.0}],
        "sections": [{"title": "Spread", "hint": 12.0, "timestamp": None, "bullets": [
            {"text": "Ships.", "quote": "if you know where the ships came from", "hint": 99.0}]}],
        "review_questions": [],
    }
    grounded = grounding.ground(draft, transcript(AUTO))
    assert grounded["verified"] == [3, 4]
    concept, (point, invented) = grounded["core_concepts"][0], grounded["key_points"]
    assert concept["verified"] and concept["timestamp"] == 9.0
    assert point["verified"] and point["timestamp"] == 21.0  # where it is said, not 5.0
    assert invented["verified"] is False and invented["timestamp"] is None
    assert grounded["sections"][0]["timestamp"] == 12.0
    assert grounded["sections"][0]["bullets"][0]["timestamp"] == 15.0
    # "you know" inside a sentence is a real phrase, and the quote keeps it.
    assert "you know" in grounded["sections"][0]["bullets"][0]["quote"]


def test_the_note_says_verified_n_of_m_and_never_checks_an_unfound_item():
    draft = {"title": "t", "summary": "s", "core_concepts": [], "sections": [],
             "review_questions": [], "tags": [], "verified": [1, 2],
             "key_points": [{"text": "Found $E = mc^2$.", "timestamp": 21.0, "verified": True},
                            {"text": "Not found.", "timestamp": None, "verified": False}],
             "condensed": {"review_questions": 3}}
    content = markdown.render(draft=draft, video_id="qbGround001", title="T", channel="c",
                              duration_seconds=30, category="History", tags=[],
                              created="2026-12-01T00:00:00Z", generator="extractive")
    assert '\nverified: "1/2"\n' in content
    assert "- Found $E = mc^2$. ([00:21](" in content  # LaTeX left as written
    # Not among the key points: listed in the last, folded callout (issue 21, item 3).
    assert "- Not found." not in content
    assert content.endswith("> [!warning]- Not found in the transcript (1)\n"
                            "> - Key Points: Not found.\n")
    assert "3 review questions beyond this note's limits were left out" in content
    assert "## Core Concepts\n*The lecture defines no terms" in content


FACTS = [  # automatic captions again, with numbers and negations to get wrong
    "so the worst years were 1347 to 1351 and um", "about a third of the population died in",
    "those years okay now if the determinant", "is zero the columns are not linearly independent",
    "and a shear does not change the area of", "the square uh it only slides the top along",
]


def test_a_near_match_with_altered_numbers_or_negations_is_not_found():
    text = grounding.TranscriptText(transcript(FACTS))
    assert text.find("the worst years were 1348 to 1352") is None  # changed years
    assert text.find("about a half of the population died") is None  # half for a third
    # "not" moved to the other clause: the same words, the opposite claim.
    assert text.find("the determinant is not zero so the columns are linearly "
                     "independent") is None
    assert text.find("a shear does change the area") is None  # "not" dropped
    assert text.find("about a third of the population never died") is None  # one added


def test_a_noisy_quote_with_the_same_numbers_and_negations_is_still_found():
    text = grounding.TranscriptText(transcript(FACTS))
    years = text.find("The worst yeers were 1347 to 1351!")
    assert years is not None and not years.exact and years.start == 0.0
    third = text.find("About a third of the populations died in those years.")
    assert third is not None and not third.exact and third.start == 3.0
    shear = text.find("A sheer doesn't change the area of the square")  # n't is "not"
    assert shear is not None and not shear.exact and shear.start == 12.0
    # Other languages' number words and negations are facts too.
    german = grounding.TranscriptText(transcript(["also die scherung ändert die fläche nicht",
                                                  "und etwa ein drittel starb"]))
    assert german.find("die Scherung ändert die Flächen nicht, und etwa") is not None
    assert german.find("die Scherung ändert die Flächen, und etwa ein Drittel") is None
    assert german.find("Flächen nicht, und etwa ein Viertel starb") is None


def test_a_quote_longer_than_the_bound_is_not_found_even_when_its_start_is_said():
    # A true 80-word stretch of the lecture with an invented claim after it: checking
    # the start alone would show the claim as said.
    said = [f"the {word} of this lecture stays true" for word in
            ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth")]
    text = grounding.TranscriptText(transcript(said))
    true_part = " ".join(" ".join(said).split()[:grounding.MAX_QUOTE_WORDS])
    assert text.find(true_part) is not None
    assert text.find(true_part + " and aspirin cures 95 percent of cancers") is None
    whole = " ".join(said)  # a long quote said word for word is found
    assert len(whole.split()) > grounding.MAX_QUOTE_WORDS and text.find(whole).exact
    draft = {"key_points": [{"text": "Aspirin cures 95 percent of cancers.", "line": 1,
                             "quote": true_part + " and aspirin cures 95 percent of cancers"}]}
    grounded = grounding.ground(draft, transcript(said))
    assert grounded["key_points"][0]["verified"] is False
