"""The BERT tokenizer of all-MiniLM-L6-v2 in pure Python (BertNormalizer +
BertPreTokenizer + WordPiece, uncased), so the Lambda package needs no
`tokenizers` wheel. Checked token for token against the reference by the tests.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence


def _is_whitespace(char: str) -> bool:
    return char in " \t\n\r" or unicodedata.category(char) == "Zs"


def _is_control(char: str) -> bool:
    if char in "\t\n\r":
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char: str) -> bool:
    code = ord(char)
    if 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126:
        return True
    return unicodedata.category(char).startswith("P")


def _is_cjk(code: int) -> bool:
    return (0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0x20000 <= code <= 0x2A6DF
            or 0x2A700 <= code <= 0x2B73F or 0x2B740 <= code <= 0x2B81F
            or 0x2B820 <= code <= 0x2CEAF or 0xF900 <= code <= 0xFAFF
            or 0x2F800 <= code <= 0x2FA1F)


def _slices(text: str, size: int = 2048) -> Iterable[str]:
    """The text in pieces cut at plain spaces (always a word boundary), so a long
    text is normalised only as far as it is read."""
    start = 0
    while start < len(text):
        end = text.find(" ", start + size) if start + size < len(text) else -1
        end = len(text) if end < 0 else end
        yield text[start:end]
        start = end


class Tokenizer:
    """bert-base-uncased tokenisation, as the model's tokenizer.json configures it."""

    def __init__(self, vocab: Sequence[str], max_chars_per_word: int = 100) -> None:
        self.ids = {token: index for index, token in enumerate(vocab)}
        self.max_chars_per_word = max_chars_per_word
        self.unk, self.cls, self.sep = self.ids["[UNK]"], self.ids["[CLS]"], self.ids["[SEP]"]
        self._cache: dict[str, list[int]] = {}

    def normalize(self, text: str) -> str:
        out = []
        for char in text:
            code = ord(char)
            if code == 0 or code == 0xFFFD or _is_control(char):
                continue
            if _is_whitespace(char):
                out.append(" ")
            elif _is_cjk(code):
                out.append(f" {char} ")
            else:
                out.append(char)
        text = unicodedata.normalize("NFD", "".join(out))
        return "".join(c for c in text if unicodedata.category(c) != "Mn").lower()

    def words(self, text: str) -> Iterable[str]:
        for part in _slices(text):
            for chunk in self.normalize(part).split():
                start = 0
                for index, char in enumerate(chunk):
                    if _is_punctuation(char):
                        if start < index:
                            yield chunk[start:index]
                        yield char
                        start = index + 1
                if start < len(chunk):
                    yield chunk[start:]

    def wordpieces(self, word: str) -> list[int]:
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if len(word) > self.max_chars_per_word:
            return [self.unk]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = self.ids.get(piece)
                if found is not None:
                    pieces.append(found)
                    break
                end -= 1
            else:
                pieces = [self.unk]
                break
            start = end
        if len(self._cache) < 50_000:
            self._cache[word] = pieces
        return pieces

    def encode(self, text: str, max_length: int = 256) -> list[int]:
        """[CLS] wordpieces [SEP], truncated to max_length as sentence-transformers does.
        Stops reading the text once enough pieces are found (long notes stay cheap)."""
        budget = max_length - 2
        ids: list[int] = []
        for word in self.words(text):
            ids += self.wordpieces(word)
            if len(ids) >= budget:
                break
        return [self.cls, *ids[:budget], self.sep]
