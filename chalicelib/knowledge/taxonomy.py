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


# What each subject's lectures are about, topic by topic, as an introductory course's
# syllabus names them: a lecture is compared with each topic and a subject scores by
# its two closest (scores()). The descriptions above say what a subject covers in one
# sentence; these cover it wide, so a lecture on git or logarithms finds its subject
# (issue 12: on the team's calibration and development sets, 190/206 lectures filed
# right with the descriptions' phrases alone, 201/206 with these).
TOPICS: dict[str, str] = {
    "Physics": ("kinematics, velocity and acceleration, projectile motion, Newton's "
                "laws of motion, friction, work and energy, conservation of momentum, "
                "collisions, circular motion, gravity, torque and rotation, simple "
                "harmonic motion and oscillations, pendulums, waves, sound waves, the "
                "Doppler effect, light and optics, reflection and refraction, lenses, "
                "diffraction and interference, scattering of light, electric charge "
                "and fields, circuits, Ohm's law, magnetism, electromagnetic "
                "induction, heat and temperature, thermodynamics, entropy, pressure "
                "and gases, fluids and buoyancy, special relativity, quantum "
                "mechanics, atoms and photons, radioactivity, nuclear physics, "
                "particle physics"),
    "Chemistry": ("atomic structure, electron configuration, the periodic table, ionic "
                  "and covalent bonds, molecular shapes, intermolecular forces, the "
                  "mole, stoichiometry, balancing chemical equations, reaction rates, "
                  "catalysts, chemical equilibrium, Le Chatelier's principle, acids "
                  "and bases, pH, titration, buffers, redox reactions, "
                  "electrochemistry, batteries, thermochemistry, enthalpy, gas laws, "
                  "solutions and solubility, organic chemistry, functional groups, "
                  "polymers, isomers, spectroscopy, laboratory techniques, nuclear "
                  "chemistry"),
    "Biology": ("the cell, cell membranes, organelles, mitosis and meiosis, DNA and "
                "RNA, genes and heredity, Mendelian genetics, Punnett squares, "
                "mutations, protein synthesis, enzymes, cellular respiration, "
                "photosynthesis, evolution, natural selection, speciation, "
                "classification of living things, bacteria and viruses, fungi, plants, "
                "animal physiology, the nervous system, neurons, hormones, ecology, "
                "ecosystems, food webs, populations, biodiversity, animal behaviour, "
                "biotechnology"),
    "Earth Science": ("the rock cycle, minerals, plate tectonics, earthquakes, "
                      "volcanoes, mountains, erosion and weathering, rivers and "
                      "glaciers, soils, fossils and geologic time, the atmosphere, "
                      "weather fronts, storms and hurricanes, climate, ice ages and "
                      "climate history, climate change, greenhouse gases, oceans and "
                      "currents, the water cycle, the carbon cycle, natural resources, "
                      "renewable energy sources, pollution, sustainability and the "
                      "environment, maps and landforms"),
    "Astronomy": ("the solar system, the Sun, planets and moons, the Moon's phases, "
                  "eclipses, tides, seasons, orbits, Kepler's laws, comets and "
                  "asteroids, stars and their life cycles, nebulae, supernovae, "
                  "neutron stars, black holes, galaxies, the Milky Way, the expanding "
                  "universe, the big bang, dark matter and dark energy, exoplanets, "
                  "telescopes, observing the night sky, space missions"),
    "Mathematics": ("arithmetic, fractions, algebra, equations, inequalities, "
                    "functions and graphs, polynomials, exponents and logarithms, "
                    "sequences and series, trigonometry, geometry, triangles and "
                    "circles, the Pythagorean theorem, coordinate geometry, limits, "
                    "derivatives, integrals, differential equations, vectors, "
                    "matrices, determinants, eigenvalues, linear algebra, complex "
                    "numbers, number theory, prime numbers, proofs, proof by "
                    "induction, sets and logic, combinatorics, graph theory, topology, "
                    "group theory"),
    "Statistics": ("descriptive statistics, mean, median and standard deviation, data "
                   "visualisation, probability, conditional probability, Bayes' "
                   "theorem, random variables, the normal distribution, the binomial "
                   "distribution, sampling and surveys, the central limit theorem, "
                   "confidence intervals, hypothesis testing, p-values, t-tests, chi- "
                   "square tests, ANOVA, correlation, linear regression, experimental "
                   "design, A/B testing, statistical significance, data analysis"),
    "Computer Science": ("programming, variables and loops, functions, recursion, "
                         "object-oriented programming, classes and objects, Python, "
                         "JavaScript, algorithms, sorting and searching, big-O "
                         "complexity, data structures, arrays, lists, stacks and "
                         "queues, trees and graphs, hash tables, databases and SQL, "
                         "operating systems, computer networks, the internet, TCP/IP, "
                         "web development, version control with git, software "
                         "engineering, testing and debugging, cybersecurity, "
                         "cryptography and encryption, compilers, computer "
                         "architecture, machine learning, neural networks, artificial "
                         "intelligence"),
    "Engineering": ("engineering design, statics, forces in structures, beams and "
                    "trusses, bridges, stress and strain, materials and their "
                    "strength, mechanical engineering, machines, gears and gear "
                    "ratios, engines, heat engines, fluid mechanics, pipes and pumps, "
                    "electrical engineering, circuit design, electronics, amplifiers, "
                    "motors and generators, power systems, solar panels and batteries, "
                    "control systems, feedback, robotics, civil engineering, "
                    "manufacturing, CAD, aerospace engineering"),
    "Medicine": ("anatomy, physiology of the human body, the heart and blood vessels, "
                 "blood pressure, the lungs and breathing, asthma, the digestive "
                 "system, the kidneys, the brain and nerves, diseases, infections, "
                 "diabetes, cancer, heart disease, diagnosis, symptoms and clinical "
                 "signs, treatment, surgery, pharmacology, drugs and dosage, "
                 "antibiotics, the immune system, vaccines, blood types and "
                 "transfusion, emergency medicine, patient care, nursing, public "
                 "health, epidemiology, mental illness"),
    "Psychology": ("the mind and behaviour, perception, attention, memory, learning, "
                   "classical conditioning, operant conditioning, cognition, thinking "
                   "and decision making, cognitive biases, intelligence, emotion, "
                   "motivation, personality, child development, attachment, social "
                   "psychology, conformity and obedience, the bystander effect, "
                   "persuasion, sleep and dreams, stress, mental health, anxiety and "
                   "depression, therapy, research methods in psychology, neuroscience "
                   "of behaviour"),
    "Economics": ("scarcity and opportunity cost, supply and demand, elasticity, "
                  "markets, competition, monopoly, market failure, externalities, "
                  "taxes and subsidies, price controls, the minimum wage, labour "
                  "markets, unemployment, inflation, GDP and economic growth, "
                  "recessions, money and banking, central banks and interest rates, "
                  "monetary policy, fiscal policy, government debt, international "
                  "trade, tariffs, exchange rates, game theory, behavioural economics, "
                  "microeconomics, macroeconomics"),
    "Business": ("starting a business, business models, entrepreneurship, startups, "
                 "marketing, branding, advertising, sales, customers, pricing "
                 "strategy, competitive strategy, Porter's five forces, SWOT analysis, "
                 "management, leadership, teams and human resources, operations and "
                 "supply chains, accounting, balance sheets, income statements, cash "
                 "flow, break-even analysis, profit and costs, finance, investing, "
                 "stocks, business plans, negotiation, e-commerce"),
    "Political Science": ("government, the state, democracy, elections and voting, "
                          "political parties, constitutions, separation of powers, "
                          "parliaments and legislatures, presidents and prime "
                          "ministers, federalism, public policy, political ideologies, "
                          "liberalism and conservatism, authoritarianism, "
                          "international relations, the United Nations, diplomacy, war "
                          "and peace, foreign policy, nationalism, political theory, "
                          "civil rights, lobbying and interest groups"),
    "Sociology": ("society, culture, norms and values, socialisation, social roles, "
                  "social class, inequality and poverty, race and ethnicity, gender, "
                  "family and kinship, religion in society, education as an "
                  "institution, deviance and crime, labeling theory, social movements, "
                  "urbanisation, globalisation, bureaucracy, the sociology of work, "
                  "sociological theory, Durkheim, Weber and Marx, anthropology, "
                  "ethnography, research methods in sociology"),
    "History": ("ancient history, ancient Egypt, ancient Greece, the Roman Empire, the "
                "Middle Ages, feudalism, the Renaissance, the Reformation, exploration "
                "and colonisation, empires, the Silk Road, revolutions, the French "
                "Revolution, the Industrial Revolution, slavery and abolition, "
                "nationalism, the First World War, the Second World War, the Cold War, "
                "decolonisation, civil wars, historical figures, historical sources, "
                "the twentieth century"),
    "Philosophy": ("ethics, morality, utilitarianism, deontology and Kant, virtue "
                   "ethics and Aristotle, moral dilemmas, logic, arguments and "
                   "fallacies, validity, metaphysics, free will, personal identity, "
                   "philosophy of mind, consciousness, epistemology, knowledge and "
                   "scepticism, philosophy of science, falsifiability, political "
                   "philosophy, justice, Plato and Socrates, existentialism, "
                   "philosophy of religion, meaning of life"),
    "Literature": ("novels, short stories, poetry, poems and poets, drama and plays, "
                   "Shakespeare, tragedy and comedy, literary analysis, close reading, "
                   "themes, characters, plot and narrative, narrators and point of "
                   "view, symbolism and metaphor, literary movements, romanticism, "
                   "modernism, dystopian fiction, authors and their works, literary "
                   "criticism, essays, creative writing, storytelling"),
    "Languages": ("learning a foreign language, grammar, verb tenses and conjugation, "
                  "grammatical cases, nouns and articles, sentence structure, "
                  "vocabulary, pronunciation, accents, phonetics, writing systems and "
                  "alphabets, spelling, idioms, translation, speaking practice, "
                  "listening comprehension, English, Spanish, French, German, "
                  "Japanese, Chinese, Korean, linguistics, etymology and word origins, "
                  "language history"),
    "Art": ("drawing, painting, sculpture, art history, famous artists and paintings, "
            "art movements, the Renaissance masters, impressionism, modern art, colour "
            "theory, composition, perspective, light and shadow, portraits and figure "
            "drawing, photography, graphic design, typography, illustration, "
            "architecture, museums and galleries, art techniques and materials"),
    "Music": ("music theory, notes and scales, keys, intervals, chords, harmony, "
              "cadences, melody, rhythm and meter, tempo, reading sheet music, "
              "composers, classical music, music history, jazz, instruments, piano, "
              "guitar, singing, orchestras, songwriting, music production, ear "
              "training, musical form, acoustics of instruments"),
    "Law": ("law and legal systems, common law and civil law, constitutional law, "
            "criminal law, criminal procedure and rights of suspects, contracts, torts "
            "and negligence, property law, family law, employment law, courts and "
            "judges, trials and evidence, juries, lawyers, legal precedent, human "
            "rights, international law, copyright and intellectual property, privacy "
            "and data protection law, business law, legal reasoning, lawsuits"),
}


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


def _split(topics: str) -> list[str]:
    return [p.strip(" .") for p in topics.replace(" and ", ", ").split(",") if p.strip(" .")]


def phrases() -> list[tuple[int, str]]:
    """(owner, topic phrase): every subject's TOPICS, then every everyday kind's
    description's phrases; owners number the subjects first, then the everyday kinds."""
    phrases = [(index, p) for index, (name, _) in enumerate(TAXONOMY)
               for p in _split(TOPICS[name])]
    phrases += [(len(TAXONOMY) + index, p) for index, (_, description) in enumerate(EVERYDAY)
                for p in _split(description.split(":", 1)[1])]
    return phrases


def texts() -> list[str]:
    """What is embedded: every description (the everyday kinds' last), then every
    phrase."""
    return _descriptions() + [p for _, p in phrases()]


def fingerprint() -> str:
    return hashlib.sha256(json.dumps(texts()).encode()).hexdigest()


def _anchor_scores(notes: np.ndarray, vectors: np.ndarray) -> np.ndarray:
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


def scores(notes: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Each subject's score for each note (rows of unit vectors). `vectors` are the
    embeddings of texts(), in order."""
    return _anchor_scores(notes, vectors)[:, :len(TAXONOMY)]


def everyday_scores(notes: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Each note's best score among the everyday kinds, on the subjects' scale."""
    return _anchor_scores(notes, vectors)[:, len(TAXONOMY):].max(axis=1)
