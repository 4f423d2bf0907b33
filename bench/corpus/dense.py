"""One-minute dense lectures (issue 21): eight to ten facts in about a minute of speech.

Written for this project by the team (2026-12-07); no real transcript was copied. Each
lecture is said as human captions (punctuated) and as YouTube's automatic captions
would write the same speech (lower case, no punctuation, 5-10 word cues), so a note's
size can be checked against what the lecture says rather than its minutes.

`dev` lectures were read while the offline writer was tuned; `held_out` ones were
written at the same time, before any tuning, and are only measured.
"""
from __future__ import annotations

from typing import Any


def F(fact: str, *any_of: str) -> dict[str, Any]:
    return {"fact": fact, "any_of": list(any_of)}


LECTURES: list[dict[str, Any]] = [
    {
        "id": "dense_entropy", "set": "dev", "title": "Entropy in One Minute",
        "text": (
            "Entropy counts the number of microscopic arrangements that look the same from "
            "outside. Boltzmann wrote it as a constant times the logarithm of that number. "
            "The constant is about 1.38 times ten to the minus 23 joules per kelvin. The "
            "second law says the entropy of an isolated system never decreases. Heat flows "
            "by itself only from a hotter body to a colder one. A refrigerator moves heat "
            "the other way by spending work. The Carnot efficiency is one minus the cold "
            "temperature over the hot temperature. Real engines stay below that limit "
            "because friction creates extra entropy. At absolute zero the entropy of a "
            "perfect crystal is zero, which is the third law."),
        "key_facts": [
            F("Entropy counts microscopic arrangements", "counts the number of microscopic"),
            F("Boltzmann: constant times logarithm", "logarithm"),
            F("Boltzmann constant 1.38e-23 J/K", "1.38"),
            F("Second law: isolated system entropy never decreases", "never decreases"),
            F("Heat flows from hot to cold by itself", "hotter body to a colder"),
            F("Refrigerator spends work", "spending work"),
            F("Carnot efficiency 1 - Tc/Th", "carnot efficiency"),
            F("Friction creates extra entropy", "friction"),
            F("Third law: perfect crystal at absolute zero", "perfect crystal", "third law"),
        ],
    },
    {
        "id": "dense_cell", "set": "dev", "title": "The Cell Membrane in One Minute",
        "text": (
            "The plasma membrane is a bilayer of phospholipids. Each phospholipid has a "
            "head that loves water and two tails that avoid it. Proteins float in the "
            "membrane, and we call this picture the fluid mosaic model. Oxygen and carbon "
            "dioxide cross by simple diffusion. Glucose needs a carrier protein to get in. "
            "Osmosis is the diffusion of water across a membrane. Active transport moves "
            "molecules against their gradient and costs ATP. The sodium potassium pump "
            "moves three sodium ions out and two potassium ions in. Cholesterol keeps the "
            "membrane from getting too fluid or too stiff."),
        "key_facts": [
            F("Membrane is a phospholipid bilayer", "bilayer"),
            F("Heads love water, tails avoid it", "tails"),
            F("Fluid mosaic model", "fluid mosaic"),
            F("O2 and CO2 cross by simple diffusion", "simple diffusion"),
            F("Glucose needs a carrier protein", "carrier protein"),
            F("Osmosis is diffusion of water", "osmosis"),
            F("Active transport costs ATP", "active transport"),
            F("Na/K pump: 3 out, 2 in", "three sodium"),
            F("Cholesterol regulates fluidity", "cholesterol"),
        ],
    },
    {
        "id": "dense_supply", "set": "dev", "title": "Supply and Demand in One Minute",
        "text": (
            "Demand describes how much buyers want at each price. When the price rises, "
            "the quantity demanded falls, and that is the law of demand. Supply describes "
            "how much sellers offer at each price. The equilibrium price is where the two "
            "curves cross. Above it there is a surplus, and sellers cut prices. Below it "
            "there is a shortage, and buyers bid prices up. A price ceiling is a legal "
            "maximum, like rent control in many cities. A price floor is a legal minimum, "
            "like a minimum wage. Elasticity measures how strongly quantity responds to a "
            "change in price."),
        "key_facts": [
            F("Demand: how much buyers want at each price", "buyers want"),
            F("Law of demand", "law of demand"),
            F("Supply: how much sellers offer", "sellers offer"),
            F("Equilibrium where curves cross", "equilibrium"),
            F("Above equilibrium: surplus", "surplus"),
            F("Below equilibrium: shortage", "shortage"),
            F("Price ceiling, rent control", "price ceiling", "rent control"),
            F("Price floor, minimum wage", "price floor", "minimum wage"),
            F("Elasticity", "elasticity"),
        ],
    },
    {
        "id": "dense_plague", "set": "held_out", "title": "The Black Death in One Minute",
        "text": (
            "The Black Death reached Europe in 1347 through ports on the Black Sea and in "
            "Sicily. It was caused by the bacterium Yersinia pestis. Fleas on black rats "
            "carried it from town to town along trade routes. In its pneumonic form it "
            "spread directly from person to person through coughing. Between 1347 and 1351 "
            "it killed roughly a third of Europe's population. Cities such as Venice made "
            "ships wait forty days before landing, and that is where the word quarantine "
            "comes from. With so many workers dead, wages rose for the peasants who "
            "survived. Landlords answered with laws that tried to freeze wages, and revolts "
            "followed."),
        "key_facts": [
            F("Arrived 1347", "1347"),
            F("Black Sea and Sicily ports", "sicily", "black sea"),
            F("Yersinia pestis", "yersinia pestis"),
            F("Fleas on black rats", "fleas"),
            F("Pneumonic form spread by coughing", "pneumonic", "coughing"),
            F("Killed about a third", "a third"),
            F("Quarantine: forty days", "quarantine", "forty days"),
            F("Wages rose", "wages rose"),
            F("Laws to freeze wages, revolts", "revolts", "freeze wages"),
        ],
    },
    {
        "id": "dense_mole", "set": "held_out", "title": "Moles and Molar Mass in One Minute",
        "text": (
            "A mole is a counting unit, like a dozen, but for particles. One mole contains "
            "6.022 times ten to the 23 particles, which we call Avogadro's number. Molar "
            "mass is the mass of one mole of a substance in grams per mole. Carbon has a "
            "molar mass of about 12 grams per mole. Water has a molar mass of about 18 "
            "grams per mole. To get moles, you divide the mass by the molar mass. So 36 "
            "grams of water is two moles of water. Since 2019 the mole has been defined by "
            "fixing Avogadro's number exactly. Chemists use moles because reactions combine "
            "particles in whole number ratios."),
        "key_facts": [
            F("Mole is a counting unit", "counting unit"),
            F("6.022e23 Avogadro's number", "6.022", "avogadro"),
            F("Molar mass definition", "molar mass is the mass"),
            F("Carbon 12 g/mol", "12 grams per mole"),
            F("Water 18 g/mol", "18 grams per mole"),
            F("Moles = mass / molar mass", "divide the mass"),
            F("36 g water = 2 mol", "36 grams"),
            F("2019 redefinition", "2019"),
            F("Whole number ratios", "whole number ratios"),
        ],
    },
    {
        "id": "dense_python", "set": "held_out", "title": "Python Lists in One Minute",
        "text": (
            "A list in Python is an ordered collection that you can change. You write a "
            "list with square brackets and commas between the items. Indexing starts at "
            "zero, so the first item is at index zero. A negative index counts from the "
            "end, so minus one gives the last item. The append method adds one item to the "
            "end of the list. The len function returns how many items a list holds. A "
            "slice like one colon three gives the items at positions one and two. Lists "
            "can hold items of different types at the same time. A tuple is like a list "
            "that cannot be changed after it is made."),
        "key_facts": [
            F("List is ordered and mutable", "ordered collection"),
            F("Square brackets", "square brackets"),
            F("Indexing starts at zero", "starts at zero"),
            F("Negative index from the end", "negative index", "minus one"),
            F("append adds to the end", "append"),
            F("len returns the count", "len function"),
            F("Slicing", "slice"),
            F("Mixed types", "different types"),
            F("Tuple is immutable", "tuple"),
        ],
    },
]


def as_captions(lecture: dict[str, Any]) -> dict[str, Any]:
    """The lecture as human captions in the transcript-cache format: one caption per
    sentence, timed by its words over about a minute."""
    import re

    sentences = re.split(r"(?<=[.?!])\s+", lecture["text"].strip())
    words = sum(len(s.split()) for s in sentences)
    seconds_per_word = 60.0 / words
    segments, start = [], 0.0
    for sentence in sentences:
        duration = round(len(sentence.split()) * seconds_per_word, 2)
        segments.append({"text": sentence, "start": round(start, 2), "duration": duration})
        start += duration
    return {"video_id": f"qbDense{lecture['id'][6:10].title()}", "title": lecture["title"],
            "channel": "Dense Minutes", "duration_seconds": int(start) + 1, "language": "en",
            "is_generated": False, "chapters": [], "segments": segments}
