"""Pauses between timed words cut automatic captions into sentences (issue 21).

YouTube times each word of its automatic captions (tests/youtube/test_word_times.py); a
pause well beyond the lecture's usual time between words is where a speaker ends a
sentence, and each sentence starts at its first word's own time."""
from __future__ import annotations

import json

from chalicelib.notes.offline.sentence_split import said_sentences, sentences
from chalicelib.youtube.captions import parse_json3
from chalicelib.youtube.transcript_model import Segment, Transcript
from testkit.lectures import SENTENCES, asr_track, spoken

FIRST = "the mitochondria in every cell make most of its chemical energy"
# No "the" to open it: the words alone barely mark this end (the boundary model,
# chalicelib.notes.offline.boundaries, reads "energy | the ..." as one), so what cuts
# here is the pause.
SECOND = "ribosomes build long chains of proteins from amino acids"
WORD_SECONDS = 0.3  # the lecture's pace: a word starts every 0.3 s


def timed(pause_seconds: float, cue_words: int = 8) -> Transcript:
    """The two sentences said at an even pace, `pause_seconds` of silence between them
    (beyond the pace), in cues of `cue_words` words that do not break between them."""
    words, times, at = [], [], 2.0
    for number, word in enumerate(f"{FIRST} {SECOND}".split()):
        if number == len(FIRST.split()):
            at += pause_seconds
        words.append(word)
        times.append(round(at, 3))
        at += WORD_SECONDS
    segments = [Segment(" ".join(words[i:i + cue_words]), times[i],
                        WORD_SECONDS * cue_words, times[i:i + cue_words])
                for i in range(0, len(words), cue_words)]
    return Transcript("pAuSeS00001", "Cells", "c", 30, "en", True, segments)


def quotes(transcript: Transcript) -> list[str]:
    return [sentence.quote for sentence in sentences(transcript)]


def test_a_long_pause_between_words_ends_a_sentence() -> None:
    assert quotes(timed(1.2)) == [FIRST, SECOND]


def test_a_short_pause_does_not_end_one() -> None:
    # A breath of 0.15 s is the speaker's own rhythm, not a sentence end.
    assert quotes(timed(0.15)) == [f"{FIRST} {SECOND}"]


def test_without_word_times_the_same_words_are_not_cut_there() -> None:
    transcript = timed(1.2)
    for segment in transcript.segments:
        segment.word_starts = None
    assert FIRST not in quotes(transcript)


def test_a_sentence_starts_at_its_first_words_own_time() -> None:
    transcript = timed(1.2)
    second = sentences(transcript)[1]
    said = {word: at for segment in transcript.segments
            for word, at in zip(segment.text.split(), segment.word_starts or [], strict=True)}
    # "ribosomes" opens the second sentence, after the pause, inside a cue that
    # started earlier.
    assert second.start == said["ribosomes"]
    assert second.start > transcript.segments[1].start
    assert [start for start, _ in said_sentences(transcript)] == \
        [transcript.segments[0].start, second.start]


def test_on_speech_recognition_captions_pauses_find_ends_the_words_alone_cannot() -> None:
    # Realistic automatic captions (testkit.lectures.asr_words: a pause at about half
    # the sentence ends, hesitations mid-sentence), served as YouTube's json3.
    track = asr_track(" ".join(SENTENCES * 3), seed="lecture")
    assert track.json3 is not None
    transcript = Transcript("aSrLeCtUrE1", "Heat", "c", 200, "en", True,
                            [Segment.from_dict(s) for s in parse_json3(json.dumps(track.json3))])
    said = {" ".join(filter(None, map(spoken, sentence.split()))) for sentence in SENTENCES}
    timed = sum(1 for quote in quotes(transcript) if quote in said)
    for segment in transcript.segments:
        segment.word_starts = None
    assert timed > sum(1 for quote in quotes(transcript) if quote in said)
