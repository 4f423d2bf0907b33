"""The built-in academic taxonomy (docs/DESIGN.md section 7): about twenty subjects, each
with a description of what it covers. Descriptions and their topic phrases are
what the embedding model compares a note with (knowledge.taxonomy_scores).

Pure data, importable by scripts/build_model.py, which ships the vectors of
`texts()` with the model; `fingerprint()` tells when they are stale.
"""
from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

# The built-in academic taxonomy: a subject and what it covers (what is embedded).
# Calibrated on the team's filing set (bench/corpus/filing.json, issue 12): the topics
# lectures are about in each subject, named the way lectures name them (Ohm's law is
# Physics, beams and amplifiers Engineering, consciousness and free will Philosophy).
TAXONOMY: tuple[tuple[str, str], ...] = (
    ("Physics", "Physics: mechanics, forces and motion, Newton's laws, energy and momentum, "
                "thermodynamics, heat and entropy, electricity and magnetism, electric current,"
                " voltage and resistance, waves and sound, optics and light, quantum mechanics,"
                " relativity, particles and nuclear physics."),
    ("Chemistry", "Chemistry: atoms, molecules and chemical bonds, chemical reactions, "
                  "equilibrium, acids and bases, organic chemistry, the periodic table, moles "
                  "and stoichiometry, solutions and electrochemistry."),
    ("Biology", "Biology: cells, genetics and DNA, evolution and natural selection, ecology, "
                "plants and animals, photosynthesis, enzymes and proteins, metabolism, "
                "microbiology and physiology of living organisms."),
    ("Earth Science", "Earth and environmental science: geology, rocks, plate tectonics, "
                      "earthquakes and volcanoes, oceans, weather, climate and climate change, "
                      "the carbon and water cycles, the environment and sustainability."),
    ("Astronomy", "Astronomy: stars, planets, the solar system, the Earth's orbit and tilt, "
                  "seasons and the Moon's phases, galaxies, black holes, cosmology, the big "
                  "bang, telescopes and space exploration."),
    ("Mathematics", "Mathematics: algebra, calculus, derivatives and integrals, geometry and "
                    "triangles, linear algebra, matrices, vectors and determinants, abstract "
                    "algebra and groups, number theory, theorems and proofs, equations and "
                    "functions."),
    ("Statistics", "Statistics and data analysis: probability, distributions, sampling, "
                   "hypothesis tests and p-values, t-tests, confidence intervals, Bayes' "
                   "theorem, regression and correlation, data science."),
    ("Computer Science", "Computer science: programming and code, Python, classes and objects, "
                         "algorithms and data structures, software engineering, databases, "
                         "networks, operating systems, machine learning, neural networks and "
                         "artificial intelligence."),
    ("Engineering", "Engineering: mechanical, civil and electrical engineering, circuit design,"
                    " amplifiers and electronics, structures, beams and materials, fluid "
                    "mechanics, control systems, design of machines, robotics and "
                    "manufacturing."),
    ("Medicine", "Medicine and health: anatomy, organs of the human body, diseases and "
                 "infections, diagnosis and treatment of patients, drugs, antibiotics and "
                 "pharmacology, immunity and vaccines, neurology, nutrition, nursing and public"
                 " health."),
    ("Psychology", "Psychology: behaviour, cognition, memory, learning and conditioning, "
                   "emotion, personality, child development, experiments on obedience and "
                   "conformity, mental health and therapy."),
    ("Economics", "Economics: markets, supply and demand, prices, inflation, interest rates, "
                  "money and central banks, trade, growth, game theory, microeconomics and "
                  "macroeconomics."),
    ("Business", "Business and management: companies, startups, marketing, sales, accounting "
                 "and balance sheets, finance and investing, strategy, leadership and "
                 "entrepreneurship."),
    ("Political Science", "Political science: government, politics, democracy, elections, "
                          "political parties, separation of powers, public policy and "
                          "international relations."),
    ("Sociology", "Sociology and anthropology: society, culture, social class, inequality, race"
                  " and gender, family, communities, social roles and interaction, institutions"
                  " and social change."),
    ("History", "History: ancient civilisations, empires, wars, revolutions, the middle ages, "
                "modern history, the Cold War, historical events, periods and people."),
    ("Philosophy", "Philosophy: ethics and morality, moral dilemmas, logic, metaphysics, free "
                   "will, epistemology and knowledge, philosophy of mind and consciousness, "
                   "Plato, Kant, political philosophy and philosophers."),
    ("Literature", "Literature: novels, poetry, drama and plays, authors, literary analysis, "
                   "themes and narrative, creative writing."),
    ("Languages", "Languages and linguistics: learning a foreign language, grammar and "
                  "grammatical cases, vocabulary, pronunciation, verbs, translation, phonetics "
                  "and linguistics."),
    ("Art", "Art and design: painting, drawing, sculpture, art history, artists, photography, "
            "graphic design, colour and composition, architecture."),
    ("Music", "Music: music theory, harmony, chords, keys and scales, composers, instruments, "
              "songs, rhythm, performance and music history."),
    ("Law", "Law: legal systems, contracts, criminal law, courts and judges, rights, "
            "constitutional law, copyright and intellectual property, lawsuits and legal "
            "reasoning."),
)


# Not subjects: what videos that are no lessons are about, a description per kind of
# video, scored like a subject. A lecture is filed under its best subject only when
# that subject scores above every one of these (filing.choose_category), so a cooking
# vlog or a road trip that mentions the weather stays General.
EVERYDAY: tuple[tuple[str, str], ...] = (
    ("Daily life", "Daily life vlog: morning routines, my day, errands, coffee, friends and "
                   "family, what I did this weekend, moving house, home tours."),
    ("Travel", "Travel vlog: road trips, holidays, hotels, sightseeing, beaches, hikes and "
               "viewpoints, the weather on our trip, cafes and local food."),
    ("Food", "Cooking and food: recipes, baking, what I eat in a day, restaurant reviews, "
             "taste tests, kitchen tips."),
    ("Gaming", "Video games: let's plays, gaming streams, walkthroughs, game tips, levels, "
               "boss fights, speedruns, winning matches."),
    ("Tech and shopping", "Product videos: unboxings, reviews of phones and gadgets, first "
                          "impressions, shopping hauls, what's in my bag."),
    ("Beauty and fashion", "Beauty and fashion: makeup tutorials, skincare routines, hair, "
                           "outfits, try-on hauls, get ready with me."),
    ("Sports and fitness", "Sports and fitness: match highlights, goals of the week, "
                           "workouts to follow along, gym routines, training days."),
    ("Entertainment", "Entertainment: pranks, challenges, reaction videos, funny moments, "
                      "pets doing funny things, celebrity gossip, chatting with viewers."),
)


def _descriptions() -> list[str]:
    """Every subject's description, then every everyday kind's."""
    return [d for _, d in TAXONOMY] + [d for _, d in EVERYDAY]


def phrases() -> list[tuple[int, str]]:
    """(owner, topic phrase) for every phrase of every description; owners number the
    subjects first, then the everyday kinds."""
    phrases = []
    for index, description in enumerate(_descriptions()):
        body = description.split(":", 1)[1].replace(" and ", ", ")
        phrases += [(index, p.strip(" .")) for p in body.split(",") if p.strip(" .")]
    return phrases


def texts() -> list[str]:
    """What is embedded: every description (the everyday kinds' last), then every
    phrase."""
    return _descriptions() + [p for _, p in phrases()]


def fingerprint() -> str:
    return hashlib.sha256(json.dumps(texts()).encode()).hexdigest()


def _anchor_scores(notes: "np.ndarray", vectors: "np.ndarray") -> "np.ndarray":
    """One column per description (the subjects', then the everyday kinds'): the mean
    of the note's cosine with the description and of its two closest topic phrases."""
    import numpy as np

    count = len(TAXONOMY) + len(EVERYDAY)
    owners = np.array([index for index, _ in phrases()])
    described = notes @ vectors[:count].T
    by_phrase = notes @ vectors[count:].T
    out = np.empty((notes.shape[0], count), dtype=np.float32)
    for index in range(count):
        closest = np.sort(by_phrase[:, owners == index], axis=1)[:, -2:]
        out[:, index] = (described[:, index] + closest.mean(axis=1)) / 2
    return out


def scores(notes: "np.ndarray", vectors: "np.ndarray") -> "np.ndarray":
    """Each subject's score for each note (rows of unit vectors). `vectors` are the
    embeddings of texts(), in order."""
    return _anchor_scores(notes, vectors)[:, :len(TAXONOMY)]


def everyday_scores(notes: "np.ndarray", vectors: "np.ndarray") -> "np.ndarray":
    """Each note's best score among the everyday kinds, on the subjects' scale."""
    return _anchor_scores(notes, vectors)[:, len(TAXONOMY):].max(axis=1)
