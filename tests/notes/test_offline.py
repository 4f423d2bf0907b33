"""The offline writer's fillers and definitions (review of issue 12): a filler is removed
only in the lecture's own language and only where it stands alone, and a concept needs a
sentence that defines it."""
from __future__ import annotations

import json
from pathlib import Path

from chalicelib.notes import offline
from chalicelib.youtube.transcript_model import Segment, Transcript

CORPUS = Path(__file__).resolve().parents[2] / "bench" / "corpus" / "lectures"


def transcript(lines: list[str], language: str, generated: bool = False) -> Transcript:
    return Transcript("qbFillers01", "Test", "c", 5 * len(lines), language, generated,
                      [Segment(text, 5.0 * i, 5.0) for i, text in enumerate(lines)])


def shown(lines: list[str], language: str, generated: bool = False) -> str:
    return " | ".join(s.text for s in offline.sentences(transcript(lines, language,
                                                                    generated)))


def test_german_um_is_a_word_not_a_filler():
    lines = ["Die Pflanze braucht Licht, um Zucker herzustellen.",
             "Wir treffen uns morgen um acht Uhr, äh, im Labor.",
             "Ähm, das Chlorophyll fängt das Licht ein, um es zu nutzen."]
    text = shown(lines, "de")
    assert "Licht, um Zucker herzustellen" in text
    assert "um acht Uhr im Labor" in text  # the "äh" and the commas around it go
    assert "Das Chlorophyll fängt das Licht ein, um es zu nutzen" in text
    # Automatic captions: "um" neither ends a clause nor is deleted.
    auto = shown(["die pflanze braucht sehr viel licht um zucker herzustellen",
                  "und wir treffen uns heute abend um acht uhr im labor"], "de", True)
    assert "licht um zucker herzustellen" in auto and "um acht uhr" in auto


def test_english_standalone_fillers_are_still_removed():
    text = shown(["So, um, the mole is, uh, a unit for counting particles.",
                  "Ummm, you know, it works for atoms and for molecules alike.",
                  "If you know where the ships came from, you know the route."], "en")
    assert "The mole is a unit for counting particles" in text
    assert "It works for atoms" in text
    assert "If you know where the ships came from, you know the route" in text
    assert "um" not in text.casefold().split() and "uh," not in text
    auto = shown(["so the plague um arrived in the port of messina uh in 1347"], "en", True)
    assert " um " not in f" {auto} " and " uh " not in f" {auto} "


def test_other_languages_keep_their_words_and_lose_their_fillers():
    text = shown(["Bueno, este, este proceso es la base del mercado.",
                  "La demanda, eh, baja cuando el precio sube.",
                  "La oferta sube cuando el precio sube."], "es")
    assert "Este proceso es la base del mercado" in text  # the demonstrative stays
    assert "La demanda baja cuando el precio sube" in text
    text = shown(["Isso é um processo, hum, importante para a célula.",
                  "A célula usa um pouco de energia.", "A luz é uma forma de energia."], "pt")
    assert "Isso é um processo importante" in text and "usa um pouco" in text


def defined(lines: list[str], language: str = "en") -> list[str | None]:
    stop = offline.stopwords(language)
    return [offline.definition_term(s, language, stop)
            for s in offline.sentences(transcript(lines, language))]


def test_calling_a_function_and_naming_an_example_define_nothing():
    assert defined(["When you call Account with those arguments, Python creates an object.",
                    "And super lets you call the parent's version of the method.",
                    "Let's write a method called deposit that adds to the balance.",
                    "Then we define withdraw again inside the subclass SavingsAccount.",
                    "Five is an int, and the string hello is a str.",
                    "The number five is an object, just like everything else.",
                    "The second column is just twice the first column.",
                    "A savings account is an account.",
                    "A savings account is an account, so inheritance fits.",
                    "A list is an object."]) == [None] * 10


def test_defining_frames_still_make_concepts():
    assert defined(["These raw scores are often called logits.",
                    "This is called the loss function, or sometimes the cost function.",
                    "That's called composition, and it is common in real code.",
                    "They're called hidden layers because you never see their values.",
                    "Those pieces of data are called data attributes by most people.",
                    "That scaling factor is what we call the determinant of the matrix.",
                    "Philosophers call this justification, and they argue about it.",
                    "The molar mass is the mass of one mole of a substance in grams.",
                    "The activation function is a non-linear function that bends it.",
                    "A method is just a function that's defined inside a class."]) == [
        "logits", "loss function", "composition", "hidden layers", "data attributes",
        "determinant", "justification", "molar mass", "activation function", "method"]
    assert defined(["Ese punto de corte se llama el equilibrio de mercado.",
                    "El precio de equilibrio es el precio al que todo se vende.",
                    "Una función llamada calcular suma los precios de hoy."], "es") == [
        "equilibrio de mercado", "precio de equilibrio", None]


def test_the_classes_lecture_defines_its_concepts_and_not_its_examples():
    lecture = Transcript.from_dict(json.loads((CORPUS / "py_classes.json").read_text()))
    stop = offline.stopwords("en")
    terms = {offline.definition_term(s, "en", stop) for s in offline.sentences(lecture)}
    assert not terms & {"parent's version", "Account", "deposit", "owner", "object",
                        "withdraw", "s dot withdraw", "Five", "number five",
                        "savings account", "SavingsAccount", "list"}
    assert {"instance", "data attributes", "method", "magic methods", "encapsulation",
            "composition", "polymorphism", "__init__ method"} <= terms
