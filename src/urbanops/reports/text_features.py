"""Report text as the classifier sees it: one canonical form, then character n-grams.

`normalise` maps full-width characters, case, Cantonese and colloquial spellings, digits and
punctuation to one canonical form; `ANALYZERS` cut it into the character n-grams scikit-learn's
`TfidfVectorizer` produces (`analyzer="char_wb"` or `"char"`, with `normalise` as preprocessor),
so a model trained there is served here without it. Changing either changes every model's
features: bump `classifier.FORMAT_VERSION` then.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = ["ANALYZERS", "normalise"]

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
