"""Synthetic lectures for tests and benchmarks (written for this project)."""
from __future__ import annotations

import base64
import uuid
from typing import Any

from testkit.fake_youtube import FakeVideo, Track

SENTENCES = [
    "Today we study entropy, which counts the microscopic arrangements of a system.",
    "The second law says the entropy of an isolated system never decreases.",
    "Heat flows spontaneously from a hot body to a cold one, never the reverse.",
    "A heat engine turns part of the heat it takes in into useful work.",
    "The Carnot cycle sets the highest efficiency any heat engine can reach.",
    "Temperature measures the average kinetic energy of the molecules.",
    "In a reversible process the total entropy of the universe stays constant.",
    "Boltzmann wrote entropy as a constant times the logarithm of the number of states.",
    "Free energy tells us how much work a system can do at constant temperature.",
    "Refrigerators move heat from cold to hot by spending work.",
    "The first law is energy conservation: heat in equals work out plus internal energy.",
    "An adiabatic process exchanges no heat with its surroundings.",
    "Isothermal expansion of an ideal gas keeps its temperature fixed.",
    "Phase transitions such as melting absorb latent heat at constant temperature.",
    "Statistical mechanics explains thermodynamics from the behaviour of many particles.",
    "The third law says entropy approaches a minimum as temperature approaches absolute zero.",
]


def new_video_id() -> str:
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode()[:11]


def segments(minutes: float, punctuated: bool = True,
             seconds_per_segment: float = 4.0) -> list[tuple[float, float, str]]:
    out, start, index = [], 0.0, 0
    while start < minutes * 60:
        sentence = SENTENCES[index % len(SENTENCES)]
        if not punctuated:
            sentence = sentence.lower().replace(".", "").replace(",", "").replace(":", "")
        out.append((round(start, 2), seconds_per_segment - 0.2, sentence))
        start += seconds_per_segment
        index += 1
    return out


def lecture(minutes: float = 20, *, video_id: str | None = None, generated: bool = False,
            language: str = "en", chapters: bool = False, seconds_per_segment: float = 4.0,
            **fields: Any) -> FakeVideo:
    description = ("Chapters:\n0:00 Introduction\n2:00 The second law\n"
                   "5:30 Heat engines\n") if chapters else "A lecture on thermodynamics."
    return FakeVideo(
        video_id=video_id or new_video_id(), title="Thermodynamics 101: Entropy",
        author="Prof. Example", length_seconds=int(minutes * 60), description=description,
        tracks=[Track(language, "English" if language == "en" else language,
                      segments(minutes, punctuated=not generated,
                               seconds_per_segment=seconds_per_segment),
                      generated=generated)],
        **fields)
