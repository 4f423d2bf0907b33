"""Filing by the lecture itself (issue 12, docs/DESIGN.md section 7): the taxonomy is
compared with windows of the transcript under its title, and everyday kinds of video
keep what is no lesson in General."""
from __future__ import annotations

from chalicelib.knowledge import embeddings, filing, library, taxonomy

LOGARITHMS = (
    "okay so last time we did exponents, and today is the inverse of that. if two to the "
    "three is eight, then the log base two of eight is three. the logarithm answers one "
    "question: what power do I raise the base to, to get this number? three rules carry "
    "almost everything. the log of a product is the sum of the logs. the log of a "
    "quotient is the difference. and the log of x to the n is n times the log of x. "
    "watch: log base ten of a thousand, a thousand is ten cubed, so it's three. and the "
    "change of base formula lets your calculator do any base: divide the natural log of "
    "the number by the natural log of the base. try these on the worksheet before friday.")
RAINY_TRIP = (
    "hey guys, welcome back! so it's day three of the road trip and honestly the weather "
    "has not been on our side. it rained all night, the clouds are sitting right on the "
    "mountains and we couldn't see a thing from the viewpoint we drove two hours to reach. "
    "but we found this tiny cafe with the best hot chocolate I've ever had, and the "
    "owner's dog basically adopted us. tomorrow the forecast says sun, fingers crossed, "
    "so we're trying the hike again. drop your tips for this area in the comments!")
WEATHER_FRONTS = (
    "today we're looking at weather fronts. a front is the boundary between two air "
    "masses of different temperature and humidity. at a cold front, dense cold air pushes "
    "under the warm air and lifts it fast, so you get tall cumulonimbus clouds, heavy "
    "showers and sometimes thunderstorms, and then the temperature drops and the wind "
    "shifts. at a warm front the warm air slides up over the cold air gently, so the "
    "clouds come in layers, cirrus first, then stratus, with long steady rain. on a "
    "weather map a cold front is a line of blue triangles and a warm front red "
    "semicircles. an occluded front forms when the cold front catches up with the warm.")


def thin_note(title: str) -> dict:
    """A note with little to go on, as the offline writer makes of a short talk."""
    return {"title": title, "summary": "Try these on the worksheet before friday.",
            "core_concepts": [], "key_points": [], "sections": [{"title": "From minute 0"}],
            "tags": ["base"]}


def test_windows_are_bounded_spread_over_the_lecture_and_headed_by_its_titles():
    words = [f"w{n}" for n in range(54_000)]  # six hours of speech
    windows = filing.lecture_texts("Six Hours of Entropy", ["Heat", "Engines"],
                                   " ".join(words))
    assert len(windows) == filing.LECTURE_WINDOWS
    assert all(w.startswith("Six Hours of Entropy\nHeat, Engines\n") for w in windows)
    bodies = [w.split("\n")[2].split() for w in windows]
    assert all(len(body) <= filing.LECTURE_WINDOW_WORDS for body in bodies)
    assert bodies[0][0] == "w0" and words[-1] in bodies[-1]  # from the start to the end
    starts = [int(body[0][1:]) for body in bodies]
    assert starts == sorted(starts) and min(b - a for a, b in zip(starts, starts[1:])) > 5000
    # What the model reads of each window is all of it (256 tokens at most).
    model = embeddings.model()
    assert all(len(model.token_ids(w)) < model.max_length
               for w in filing.lecture_texts("Logarithms", [], LOGARITHMS * 3))
    # Many chapter titles do not crowd the transcript out of the model's input.
    crowded = filing.lecture_texts("A Long Course", [f"Chapter {n} on heat" for n in range(60)],
                                   LOGARITHMS * 3)
    assert all(len(w.split()) <= filing.LECTURE_HEAD_WORDS + filing.LECTURE_WINDOW_WORDS
               and len(model.token_ids(w)) < model.max_length for w in crowded)
    assert all("the logarithm answers" in w or "log base" in w for w in crowded[:1])
    # A short talk is one window; an untitled one is its text alone.
    assert filing.lecture_texts("", [], "a b c") == ["a b c"]


def test_the_transcript_files_a_lecture_its_thin_note_cannot():
    title = "Week 4, Part 2"
    note = embeddings.embed_one(library.note_text(thin_note(title), title))
    lecture = filing.lecture_vector(title, [], LOGARITHMS)
    filed = filing.choose_category(submitted=None, default_subject=None, vector=note,
                                   lecture=lecture)
    assert (filed.category, filed.source) == ("Mathematics", "taxonomy")
    assert filed.score >= filing.TAXONOMY_THRESHOLD
    # The note alone says too little to be filed anywhere.
    assert filing.choose_category(submitted=None, default_subject=None,
                                  vector=note).category != "Mathematics"


def test_an_everyday_video_stays_general_even_when_it_talks_about_the_weather():
    trip = filing.lecture_vector("Rainy Day in the Mountains | Road Trip Vlog", [],
                                 RAINY_TRIP)
    scores = filing.taxonomy_scores(trip)
    best = max(range(len(scores)), key=scores.__getitem__)
    assert filing.TAXONOMY[best][0] == "Earth Science"  # the weather is what it mentions...
    assert scores[best] >= filing.TAXONOMY_THRESHOLD
    assert filing.everyday_score(trip) > scores[best]    # ...but it is a travel vlog
    assert filing.choose_category(submitted=None, default_subject=None, vector=trip,
                                  lecture=trip).category == "General"
    lesson = filing.lecture_vector("Weather Fronts Explained", [], WEATHER_FRONTS)
    filed = filing.choose_category(submitted=None, default_subject=None, vector=lesson,
                                   lecture=lesson)
    assert (filed.category, filed.source) == ("Earth Science", "taxonomy")


def test_every_subject_has_a_syllabus_and_the_everyday_kinds_are_not_subjects():
    names = [name for name, _ in taxonomy.TAXONOMY]
    assert set(taxonomy.TOPICS) == set(names)
    owners = [owner for owner, _ in taxonomy.phrases()]
    assert all(owners.count(i) >= 20 for i in range(len(names)))
    assert {n for n, _ in taxonomy.EVERYDAY}.isdisjoint(names + ["General"])
    assert len(taxonomy.texts()) == len(names) + len(taxonomy.EVERYDAY) + len(owners)


def test_the_lecture_is_embedded_only_when_the_taxonomy_decides():
    """Its 8 windows cost model time: a given subject or Claude's subject needs none."""
    made = []

    def lecture():
        made.append(1)
        return filing.lecture_vector("Weather Fronts Explained", [], WEATHER_FRONTS)

    note = embeddings.embed_one(library.note_text(thin_note("Week 4"), "Week 4"))
    given = filing.choose_category(submitted="Geography", default_subject=None,
                                   vector=note, lecture=lecture)
    claude = filing.choose_category(submitted=None, default_subject=None,
                                    suggested="Earth Science", vector=note, lecture=lecture)
    assert (given.source, claude.source, made) == ("submitted", "model", [])
    assert filing.choose_category(submitted=None, default_subject=None, vector=note,
                                  lecture=lecture).category == "Earth Science"
    assert made == [1]
