"""The offline writer: study notes from the transcript alone, with no network.

Used when no model is configured (the local default). It writes the same grounded
draft as Claude (docs/DESIGN.md sections 6 and 7), in the transcript's language:

- Sentences are rebuilt across caption segments, fillers removed only where they
  stand alone, noise (logistics, channel requests, sponsor reads, licence text) left
  out: `sentence_split`, with each language's word lists in `words`.
- Key phrases are multi-word where the lecture uses them; a concept needs a sentence
  that defines it: `terms`.
- Sentences are embedded and chosen by MMR, spread over the lecture's time, each used
  once: `chooser`.
- Review questions are only ones the lecture answers: `questions`.
- What becomes a concept, key point, section and bullet, and the length bound (a
  detailed note stays well under half its transcript): `writer` (`draft`).

Every item's quote is its sentence, verbatim; generators.finish grounds it.
"""
from chalicelib.notes.offline.sentence_split import sentences
from chalicelib.notes.offline.terms import definition_term
from chalicelib.notes.offline.words import stopwords
from chalicelib.notes.offline.writer import draft

__all__ = ["definition_term", "draft", "sentences", "stopwords"]
