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


def phrases() -> list[tuple[int, str]]:
    """(subject index, topic phrase) for every phrase of every description."""
    phrases = []
    for index, (_, description) in enumerate(TAXONOMY):
        body = description.split(":", 1)[1].replace(" and ", ", ")
        phrases += [(index, p.strip(" .")) for p in body.split(",") if p.strip(" .")]
    return phrases


def texts() -> list[str]:
    """What is embedded: every description, then every phrase."""
    return [d for _, d in TAXONOMY] + [p for _, p in phrases()]


def fingerprint() -> str:
    return hashlib.sha256(json.dumps(texts()).encode()).hexdigest()


def scores(notes: "np.ndarray", vectors: "np.ndarray") -> "np.ndarray":
    """Each subject's score for each note (rows of unit vectors): the mean of the
    note's cosine with the subject's description and of its two closest topic phrases.
    `vectors` are the embeddings of texts(), in order."""
    import numpy as np

    count = len(TAXONOMY)
    owners = np.array([index for index, _ in phrases()])
    described = notes @ vectors[:count].T
    by_phrase = notes @ vectors[count:].T
    out = np.empty((notes.shape[0], count), dtype=np.float32)
    for index in range(count):
        closest = np.sort(by_phrase[:, owners == index], axis=1)[:, -2:]
        out[:, index] = (described[:, index] + closest.mean(axis=1)) / 2
    return out
