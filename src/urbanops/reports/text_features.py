"""Report text as the classifier sees it: one canonical form, then character and word n-grams.

`normalise` maps full-width characters, case, Cantonese and colloquial spellings, digits and
punctuation to one canonical form; `ANALYZERS` cut it into the character n-grams scikit-learn's
`TfidfVectorizer` produces (`analyzer="char_wb"` or `"char"`, with `normalise` as preprocessor),
so a model trained there is served here without it. `Analyzer` adds word n-grams (jieba's
segmentation over a `Lexicon` the model carries) and blocks that read only the head of a text
(its title and first sentence); training passes the same objects to scikit-learn, so both sides
cut text with one piece of code. Changing any of this changes every model's features: bump
`classifier.FORMAT_VERSION` then.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

__all__ = ["ANALYZERS", "Analyzer", "Lexicon", "normalise"]

# Cantonese and colloquial spellings mapped to the standard written form, plus a few frequent
# typos. Kept small: the n-gram model learns the rest from the corpus.
_VARIANTS: dict[str, str] = {
    "垃级": "垃圾",
    "拉圾": "垃圾",
    "垃极": "垃圾",
    "井羔": "井盖",
    "红路灯": "红绿灯",
    "泥头": "渣土",
    "雪柜": "冰箱",
    "梳化": "沙发",
    "冷气机": "空调",
    "电单车": "摩托车",
    "行人路": "人行道",
    "铺头": "店铺",
    "晾衫": "晾衣服",
    "呢度": "这里",
    "嗰度": "那里",
    "喺度": "在这里",
    "边个": "谁",
    "搞掂": "搞定",
    "成日": "经常",
    "夜晚": "晚上",
    "冇": "没有",
    "咗": "了",
    "喺": "在",
    "嘅": "的",
    "啲": "些",
    "嗰": "那",
    "呢": "这",
    "乜": "什么",
    "唔": "不",
    "佢": "他",
    "睇": "看",
    "瞓": "睡",
    "嘈": "吵",
    "嚟": "来",
    "咁": "这么",
    "冧": "倒",
    "窿": "洞",
}
_VARIANT_RE = re.compile("|".join(sorted(map(re.escape, _VARIANTS), key=len, reverse=True)))
# Anything that is not a letter or a digit (punctuation, symbols, emoji, joiners) splits words.
_SEPARATORS_RE = re.compile(r"[\W_]+")
_DIGITS_RE = re.compile(r"\d+")
_SPACES_RE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Canonical form of report text for the classifier.

    NFKC (full-width letters and digits become ASCII), lower case, Cantonese and colloquial
    variants mapped to standard written Chinese, every digit run replaced by ``0``, runs of
    punctuation, symbols and emoji replaced by one space, whitespace collapsed.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _VARIANT_RE.sub(lambda m: _VARIANTS[m.group(0)], text)
    text = _DIGITS_RE.sub("0", text)
    text = _SEPARATORS_RE.sub(" ", text)
    return _SPACES_RE.sub(" ", text).strip()


_WHITE_SPACES_RE = re.compile(r"\s\s+")


def _char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """`TfidfVectorizer(analyzer="char_wb")`: n-grams inside words padded with one space."""
    grams: list[str] = []
    for word in _WHITE_SPACES_RE.sub(" ", text).split():
        padded = f" {word} "
        length = len(padded)
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[:n])
            while offset + n < length:
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n counts once
                break
    return grams


def _char_ngrams(text: str, low: int, high: int) -> list[str]:
    """`TfidfVectorizer(analyzer="char")`: n-grams over the whole text, spaces included."""
    text = _WHITE_SPACES_RE.sub(" ", text)
    length = len(text)
    return [
        text[i : i + n] for n in range(low, min(high, length) + 1) for i in range(length - n + 1)
    ]


#: Analyzer name (as stored in a model) → n-gram function of normalised text.
ANALYZERS: dict[str, Callable[[str, int, int], list[str]]] = {
    "char_wb": _char_wb_ngrams,
    "char": _char_ngrams,
}


# --- words --------------------------------------------------------------------------------------


# What jieba cuts by its dictionary: runs of CJK ideographs, ASCII letters and digits (its
# `re_han_default`, less the punctuation that `normalise` has already removed); any other
# character is a word of its own.
_RUN_RE = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9]+|\S")
_DICTIONARY_RUN_RE = re.compile(r"[\u4e00-\u9fd5a-zA-Z0-9]")
_ASCII_RE = re.compile(r"[a-zA-Z0-9]")


class Lexicon:
    """Words with their frequencies and the dictionary's total, and the cut they give: jieba's
    (`Tokenizer.cut(text, HMM=False)`, deterministic) — the route through the text's words of
    greatest probability, a character outside every word counting as a word of frequency 1,
    consecutive single ASCII letters and digits joined — computed here so that a web process
    never imports jieba (its import alone loads ~17 MiB of HMM tables this cut does not use).
    `tests/unit/reports/test_remit.py` checks the cut against jieba's own.

    A model carries the part of jieba's dictionary its training texts contain (every dictionary
    word that occurs in them, single characters included, up to `MAX_WORD` characters) plus the
    catalogue's own terms: on those texts the cut is the one the whole dictionary gives, and a
    process holds a few thousand words instead of jieba's 350,000."""

    MAX_WORD = 8

    def __init__(self, words: Iterable[tuple[str, int]], total: int) -> None:
        if total <= 0:
            raise ValueError("a lexicon needs a positive total")
        self.total = total
        log_total = math.log(total)
        self.unknown = -log_total  # log(1 / total): a character outside every word
        # word → log probability; every proper prefix of a word → None (where a walk goes on)
        entries: dict[str, float | None] = {}
        for word, freq in words:
            if freq < 0 or not word or " " in word:
                raise ValueError(f"bad lexicon entry {word!r} {freq}")
            if freq > 0:
                entries[word] = math.log(freq) - log_total
            for i in range(1, len(word)):
                entries.setdefault(word[:i], None)
        self._entries = entries

    @property
    def words(self) -> tuple[tuple[str, int], ...]:
        """(word, frequency) pairs, sorted: what the lexicon was made of."""
        log_total = math.log(self.total)
        return tuple(
            sorted(
                (word, round(math.exp(logp + log_total)))
                for word, logp in self._entries.items()
                if logp is not None
            )
        )

    def cut(self, text: str) -> list[str]:
        """The words of normalised `text`, without spaces."""
        out: list[str] = []
        for run in _RUN_RE.findall(text):
            if _DICTIONARY_RUN_RE.match(run):
                out += self._cut_run(run)
            else:
                out.append(run)
        return out

    def _cut_run(self, run: str) -> list[str]:
        entries, n = self._entries, len(run)
        # best[i]: (log probability of the best route through run[i:], where its first word
        # ends); ties go to the longer first word
        best: list[tuple[float, int]] = [(0.0, 0)] * (n + 1)
        for i in range(n - 1, -1, -1):
            choice: tuple[float, int] | None = None
            j = i + 1
            piece = run[i:j]
            while piece in entries:  # every word that starts here
                logp = entries[piece]
                if logp is not None:
                    candidate = (logp + best[j][0], j - 1)
                    if choice is None or candidate > choice:
                        choice = candidate
                if j >= n:
                    break
                j += 1
                piece = run[i:j]
            best[i] = choice if choice is not None else (self.unknown + best[i + 1][0], i)
        words: list[str] = []
        pending = ""  # single ASCII letters and digits, joined
        i = 0
        while i < n:
            end = best[i][1] + 1
            word = run[i:end]
            if len(word) == 1 and _ASCII_RE.match(word):
                pending += word
            else:
                if pending:
                    words.append(pending)
                    pending = ""
                words.append(word)
            i = end
        if pending:
            words.append(pending)
        return words

    @classmethod
    def of_texts(
        cls,
        texts: Iterable[str],
        dictionary: Mapping[str, int],
        total: int,
        terms: Iterable[str] = (),
    ) -> Lexicon:
        """The words of `dictionary` (word → frequency) found in the normalised `texts`, and the
        `terms` (catalogue names: kept whole, as frequent as the most frequent word found)."""
        found: dict[str, int] = {}
        for text in texts:
            clean = normalise(text)
            for i in range(len(clean)):
                for n in range(1, cls.MAX_WORD + 1):  # single characters too: they weigh
                    word = clean[i : i + n]
                    if len(word) < n:
                        break
                    freq = dictionary.get(word)
                    if freq:
                        found[word] = freq
        top = max(found.values(), default=1)
        for term in terms:
            clean = normalise(term)
            if len(clean) >= 2 and " " not in clean:
                found[clean] = max(found.get(clean, 0), top)
        return cls(sorted(found.items()), total)


def _word_ngrams(words: list[str], low: int, high: int) -> list[str]:
    """`TfidfVectorizer(analyzer="word")` n-grams: words joined by one space."""
    if low == high == 1:
        return words
    return [
        " ".join(words[i : i + n]) for n in range(low, high + 1) for i in range(len(words) - n + 1)
    ]


KINDS = ("char_wb", "char", "words")


@dataclass(frozen=True, eq=False)
class Analyzer:
    """One block's n-grams of a text: `kind` is "char_wb", "char" or "words" (needs a
    `lexicon`); with `head`, only the first `head` characters of the normalised text count (a
    title, the first sentence: what the message is about, before the story). Callable on raw
    text, so it can be scikit-learn's `TfidfVectorizer(analyzer=...)`."""

    kind: str
    ngram_range: tuple[int, int]
    head: int | None = None
    lexicon: Lexicon | None = None

    def __post_init__(self) -> None:
        low, high = self.ngram_range
        if self.kind not in KINDS or not 1 <= low <= high:
            raise ValueError(f"unknown analyzer {self.kind!r} or n-gram range {self.ngram_range}")
        if (self.kind == "words") != (self.lexicon is not None):
            raise ValueError("word n-grams need a lexicon, and only they use one")
        if self.head is not None and self.head < 1:
            raise ValueError("head must be at least one character")

    def grams(self, clean: str) -> list[str]:
        """The n-grams of normalised text."""
        if self.head is not None:
            clean = clean[: self.head]
        low, high = self.ngram_range
        if self.lexicon is not None:
            return _word_ngrams(self.lexicon.cut(clean), low, high)
        return ANALYZERS[self.kind](clean, low, high)

    def __call__(self, text: str) -> list[str]:
        return self.grams(normalise(text))
