"""Classify report text to catalogue matters (GB/T 47678.5-2026 codes): the serving side.

A trained model is plain arrays: for each vectoriser block its n-gram terms and idf weights, then
the weights and intercepts of a linear model over all blocks, its classes, how scores become
probabilities (one-vs-rest logistic or softmax) and an optional calibration (Platt sigmoid per
class, or a temperature). `TextClassifier` computes the same probabilities as the scikit-learn
pipeline it was exported from (`urbanops.reports.training`) with numpy alone, so web processes
never import the training library (~115 MiB in every process).

Character n-grams need no word segmentation, which suits Chinese text with typos, homophones and
Cantonese wording. Pure: no database, no settings, no environment. Callers persist `to_bytes()`
wherever they keep models and rebuild with `from_bytes()`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np

from urbanops.core.errors import InvalidInput
from urbanops.reports.text_features import Analyzer, Lexicon, normalise

__all__ = [
    "FORMAT_VERSION",
    "Calibration",
    "IncompatibleModel",
    "Suggestion",
    "TextClassifier",
    "Vectoriser",
    "load_seed_corpus",
    "normalise",
    "top_k_accuracy",
    "validated_samples",
]

#: Bump when the serialised layout, `normalise()` or an analyzer changes: older models are then
#: refused by `TextClassifier.from_bytes` and must be retrained. 1 was a pickled scikit-learn
#: pipeline; 2 is plain arrays (an .npz archive after a JSON header line); 3 adds word n-grams
#: over a lexicon, head blocks, and the out-of-remit channels among the classes.
FORMAT_VERSION = 3

_MAGIC = b"URBANOPS-TEXTCLF\n"


# --- the model -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    """One candidate matter for a report, with the model's probability for it."""

    matter_code: str
    confidence: float


#: Class labels of out-of-remit messages: this prefix and the channel's code (`out:hrss`).
OUT_OF_REMIT = "out:"


def is_channel(label: str) -> bool:
    """Whether a class label is an out-of-remit channel rather than a matter code."""
    return label.startswith(OUT_OF_REMIT)


@dataclass(frozen=True)
class Assessment:
    """What the model makes of a text: the probability that it is an urban-management matter
    at all, the likeliest matters given that it is (most confident first, confidences summing to
    at most 1), and the likeliest other channel given that it is not (None when the model knows
    no channels)."""

    in_remit: float
    matters: list[Suggestion]
    channel: str | None
    channel_confidence: float


@dataclass(frozen=True)
class Gate:
    """When a report is dispatched without a clerk: the text is in remit with probability at
    least `remit` and its top matter has at least `matter` given that. Chosen on a labelled set
    (`training.choose_gate`) for `target` precision, dispatching at most `max_out_of_remit` of
    its out-of-remit messages; `measured` keeps what that set gave."""

    remit: float
    matter: float
    target: float
    measured: dict[str, float] = field(default_factory=dict)
    max_out_of_remit: float = 1.0

    def admits(self, assessment: Assessment) -> bool:
        return (
            bool(assessment.matters)
            and assessment.in_remit >= self.remit
            and assessment.matters[0].confidence >= self.matter
        )


class IncompatibleModel(ValueError):
    """Serialised model bytes that this code cannot load (another format, or not a model)."""


@dataclass(frozen=True, eq=False)
class Vectoriser:
    """One TF-IDF block: n-grams of normalised text → columns, counts → weights.

    `analyzer` with `ngram_range`, `head` and `lexicon` say which n-grams
    (`text_features.Analyzer`); `terms[i]` is the n-gram of column i of the block; `idf` is None
    when the block uses no idf; `norm` is "l2", "l1" or None (per block, as each vectoriser of a
    union normalises its own output); `weight` scales the block (a feature union's transformer
    weight).
    """

    analyzer: str
    ngram_range: tuple[int, int]
    terms: tuple[str, ...]
    idf: np.ndarray | None
    sublinear_tf: bool = True
    norm: str | None = "l2"
    weight: float = 1.0
    head: int | None = None
    lexicon: Lexicon | None = None
    index: dict[str, int] = field(init=False, repr=False)
    grams: Analyzer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            grams = Analyzer(self.analyzer, self.ngram_range, self.head, self.lexicon)
        except ValueError as exc:
            raise IncompatibleModel(str(exc)) from exc
        object.__setattr__(self, "grams", grams)
        if self.norm not in ("l2", "l1", None):
            raise IncompatibleModel(f"unknown norm {self.norm!r}")
        if self.idf is not None and self.idf.shape != (len(self.terms),):
            raise IncompatibleModel("idf and terms differ in length")
        object.__setattr__(self, "index", {term: i for i, term in enumerate(self.terms)})

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of normalised `text` in this block: its row of the TF-IDF matrix,
        columns ascending."""
        index = self.index
        known = [c for gram in self.grams.grams(text) if (c := index.get(gram)) is not None]
        if not known:
            return _NO_COLUMNS, _NO_VALUES
        columns, counts = np.unique(np.asarray(known, dtype=np.intp), return_counts=True)
        values = 1.0 + np.log(counts) if self.sublinear_tf else counts.astype(np.float64)
        if self.idf is not None:
            values *= self.idf[columns]
        if self.norm is not None:
            size = (
                math.sqrt(float(values @ values))
                if self.norm == "l2"
                else float(np.abs(values).sum())
            )
            if size > 0.0:
                values /= size
        if self.weight != 1.0:
            values *= self.weight
        return columns, values


_NO_COLUMNS = np.empty(0, dtype=np.intp)
_NO_VALUES = np.empty(0, dtype=np.float64)


@dataclass(frozen=True, eq=False)
class Calibration:
    """How decision scores become probabilities after training, when calibrated.

    "sigmoid" (Platt, one per score column as scikit-learn's `CalibratedClassifierCV` fits them):
    p_k = 1 / (1 + exp(a_k·s_k + b_k)), normalised to sum to 1; "temperature": softmax(beta·s).
    """

    method: str
    a: np.ndarray | None = None
    b: np.ndarray | None = None
    beta: float | None = None

    def __post_init__(self) -> None:
        ok = (self.method == "sigmoid" and self.a is not None and self.b is not None) or (
            self.method == "temperature" and self.beta is not None
        )
        if not ok:
            raise IncompatibleModel(f"incomplete or unknown calibration {self.method!r}")


def _expit(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max())
    out: np.ndarray = e / e.sum()
    return out


def _normalised(p: np.ndarray) -> np.ndarray:
    """Rows of one-vs-rest probabilities scaled to sum to 1 (uniform when all are 0)."""
    total = float(p.sum())
    if total == 0.0:
        return np.full_like(p, 1.0 / len(p))
    out: np.ndarray = p / total
    return out


LINKS = ("logistic_ovr", "softmax")


class TextClassifier:
    """A trained text → matter classifier: vectoriser blocks, a linear model, a link.

    `weights` has one row per feature column (the blocks' columns one after the other) and one
    column per score: one per class, or a single one for the second class of a binary model.
    Read-only after construction, so one instance can serve many threads.
    """

    def __init__(
        self,
        *,
        vectorisers: Sequence[Vectoriser],
        weights: np.ndarray,
        intercept: np.ndarray,
        classes: Sequence[str],
        link: str = "logistic_ovr",
        calibration: Calibration | None = None,
        trained_at_samples: int,
        info: dict[str, Any] | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.vectorisers = tuple(vectorisers)
        # single precision: half the memory of every web process; probabilities move by < 1e-6
        self.weights = np.ascontiguousarray(weights, dtype=np.float32)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self._classes = tuple(str(c) for c in classes)
        self.link = link
        self.calibration = calibration
        self.trained_at_samples = trained_at_samples
        self.info = dict(info or {})
        self.gate = gate
        self._offsets: list[int] = []
        columns = 0
        for block in self.vectorisers:
            self._offsets.append(columns)
            columns += len(block.terms)
        scores = 1 if len(self._classes) == 2 else len(self._classes)
        if len(self._classes) < 2 or link not in LINKS:
            raise IncompatibleModel(f"a model needs two classes or more and a link in {LINKS}")
        if self.weights.shape != (columns, scores) or self.intercept.shape != (scores,):
            raise IncompatibleModel(
                f"weights {self.weights.shape} and intercept {self.intercept.shape} do not fit "
                f"{columns} feature columns and {len(self._classes)} classes"
            )

    @property
    def classes(self) -> tuple[str, ...]:
        """The class labels, sorted: matter codes, then any `out:` channels."""
        return self._classes

    @property
    def matters(self) -> tuple[str, ...]:
        """The matter codes this model can suggest."""
        return tuple(c for c in self._classes if not is_channel(c))

    def with_gate(self, gate: Gate | None) -> TextClassifier:
        """This model with another dispatch gate (the arrays are shared, not copied)."""
        twin = object.__new__(TextClassifier)
        twin.__dict__.update(self.__dict__)
        twin.gate = gate
        return twin

    def scores(self, text: str) -> np.ndarray | None:
        """The linear model's decision scores for `text`, or None for text with no features."""
        clean = normalise(text)
        columns: list[np.ndarray] = []
        values: list[np.ndarray] = []
        for offset, block in zip(self._offsets, self.vectorisers, strict=True):
            cols, vals = block.features(clean)
            columns.append(cols + offset)
            values.append(vals)
        every = np.concatenate(columns)
        if not len(every):
            return None
        out: np.ndarray = np.concatenate(values) @ self.weights[every] + self.intercept
        return out

    def probabilities(self, text: str) -> np.ndarray | None:
        """Probability of each class (ordered as `classes`), or None for text with no features."""
        s = self.scores(text)
        if s is None:
            return None
        binary = len(self._classes) == 2
        cal = self.calibration
        if cal is not None and cal.method == "temperature":
            assert cal.beta is not None
            return _softmax(cal.beta * (np.array([-s[0], s[0]]) if binary else s))
        if cal is not None:
            assert cal.a is not None and cal.b is not None
            p = _expit(-(cal.a * s + cal.b))
            if binary:
                return np.array([1.0 - p[0], p[0]])
            p = _normalised(p)
            p[(p > 1.0) & (p <= 1.0 + 1e-5)] = 1.0
            return p
        if binary:
            p1 = float(_expit(s)[0])
            return np.array([1.0 - p1, p1])
        return _softmax(s) if self.link == "softmax" else _normalised(_expit(s))

    def suggest(self, text: str, k: int = 3) -> list[Suggestion]:
        """The `k` likeliest matters for `text`, most confident first.

        Returns an empty list when the text has nothing the model knows (empty, only emoji or
        punctuation, or characters never seen in training).
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        proba = self.probabilities(text)
        if proba is None:
            return []
        return self._top(proba, k)

    def _top(
        self, proba: np.ndarray, k: int, allowed: Sequence[str] | None = None
    ) -> list[Suggestion]:
        """The `k` likeliest matters (no channels) of a probability row, most likely first."""
        ranked = np.argsort(-proba, kind="stable")
        out: list[Suggestion] = []
        for i in ranked:
            label = self._classes[i]
            if is_channel(label) or (allowed is not None and label not in allowed):
                continue
            out.append(Suggestion(label, float(proba[i])))
            if len(out) == k:
                break
        return out

    def assess(
        self, text: str, k: int = 3, *, allowed: Sequence[str] | None = None
    ) -> Assessment | None:
        """In remit or not, the `k` likeliest matters (only `allowed` ones, when given: a
        category the citizen chose), and the likeliest other channel; None for text with no
        features. Matter confidences are given the text is in remit (renormalised over the
        allowed matters)."""
        if k < 1:
            raise ValueError("k must be at least 1")
        proba = self.probabilities(text)
        if proba is None:
            return None
        channel_mask = np.array([is_channel(c) for c in self._classes])
        out_of_remit = float(proba[channel_mask].sum())
        in_remit = max(0.0, 1.0 - out_of_remit)
        matter_mask = ~channel_mask
        if allowed is not None:
            matter_mask &= np.array([c in allowed for c in self._classes])
        mass = float(proba[matter_mask].sum())
        conditional = np.where(matter_mask, proba / mass if mass > 0 else 0.0, 0.0)
        matters = self._top(conditional, k, allowed) if mass > 0 else []
        channel, channel_confidence = None, 0.0
        if out_of_remit > 0:
            best = int(np.argmax(np.where(channel_mask, proba, -1.0)))
            channel = self._classes[best][len(OUT_OF_REMIT) :]
            channel_confidence = float(proba[best]) / out_of_remit
        return Assessment(in_remit, matters, channel, channel_confidence)

    # --- serialisation --------------------------------------------------------------------------

    def to_bytes(self) -> bytes:
        """A JSON header line (format, layout, metadata), then an .npz archive of the arrays.

        Loading needs numpy only and runs no code from the bytes (no pickle).
        """
        arrays: dict[str, np.ndarray] = {
            "weights": self.weights,
            "intercept": self.intercept,
            "classes": np.array(self._classes, dtype=np.str_),
        }
        blocks = []
        for i, block in enumerate(self.vectorisers):
            arrays[f"terms{i}"] = np.array(block.terms, dtype=np.str_)
            if block.idf is not None:
                arrays[f"idf{i}"] = block.idf
            if block.lexicon is not None:
                words = block.lexicon.words
                arrays[f"lexicon_words{i}"] = np.array([w for w, _ in words], dtype=np.str_)
                arrays[f"lexicon_freq{i}"] = np.array([f for _, f in words], dtype=np.int64)
            blocks.append(
                {
                    "analyzer": block.analyzer,
                    "ngram_range": list(block.ngram_range),
                    "sublinear_tf": block.sublinear_tf,
                    "norm": block.norm,
                    "idf": block.idf is not None,
                    "weight": block.weight,
                    "head": block.head,
                    "lexicon_total": block.lexicon.total if block.lexicon else None,
                }
            )
        calibration = None
        if self.calibration is not None:
            calibration = {"method": self.calibration.method, "beta": self.calibration.beta}
            if self.calibration.a is not None and self.calibration.b is not None:
                arrays["calibration_a"], arrays["calibration_b"] = (
                    self.calibration.a,
                    self.calibration.b,
                )
        header = {
            "format": FORMAT_VERSION,
            "trained_at_samples": self.trained_at_samples,
            "classes": len(self._classes),
            "link": self.link,
            "vectorisers": blocks,
            "calibration": calibration,
            "info": self.info,
            "gate": None
            if self.gate is None
            else {
                "remit": self.gate.remit,
                "matter": self.gate.matter,
                "target": self.gate.target,
                "measured": self.gate.measured,
                "max_out_of_remit": self.gate.max_out_of_remit,
            },
        }
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        head = json.dumps(header, sort_keys=True, ensure_ascii=True).encode("ascii") + b"\n"
        return _MAGIC + head + buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> TextClassifier:
        """Rebuild a classifier from `to_bytes` output.

        Raises `IncompatibleModel` for bytes of another format version (retrain instead) or
        bytes that are not a serialised classifier at all.
        """
        if not data.startswith(_MAGIC):
            raise IncompatibleModel("not a serialised UrbanOps text classifier")
        end = data.find(b"\n", len(_MAGIC))
        try:
            header: dict[str, Any] = json.loads(data[len(_MAGIC) : end])
        except ValueError as exc:
            raise IncompatibleModel("unreadable text classifier header") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT_VERSION:
            found = header.get("format") if isinstance(header, dict) else None
            raise IncompatibleModel(
                f"text classifier format {found!r} is not supported "
                f"(this code reads format {FORMAT_VERSION}); retrain the model"
            )
        try:
            with np.load(io.BytesIO(data[end + 1 :]), allow_pickle=False) as npz:
                arrays = {name: npz[name] for name in npz.files}
            lexicons: dict[bytes, Lexicon] = {}
            blocks = [
                Vectoriser(
                    analyzer=b["analyzer"],
                    ngram_range=(int(b["ngram_range"][0]), int(b["ngram_range"][1])),
                    terms=tuple(str(t) for t in arrays[f"terms{i}"]),
                    idf=arrays[f"idf{i}"] if b["idf"] else None,
                    sublinear_tf=bool(b["sublinear_tf"]),
                    norm=b["norm"],
                    weight=float(b["weight"]),
                    head=b["head"],
                    lexicon=_lexicon(arrays, i, b["lexicon_total"], lexicons),
                )
                for i, b in enumerate(header["vectorisers"])
            ]
            cal = header["calibration"]
            calibration = None
            if cal is not None:
                calibration = Calibration(
                    cal["method"],
                    arrays.get("calibration_a"),
                    arrays.get("calibration_b"),
                    cal["beta"],
                )
            return cls(
                vectorisers=blocks,
                weights=arrays["weights"],
                intercept=arrays["intercept"],
                classes=[str(c) for c in arrays["classes"]],
                link=header["link"],
                calibration=calibration,
                trained_at_samples=int(header["trained_at_samples"]),
                info=header.get("info") or {},
                gate=None if header.get("gate") is None else Gate(**header["gate"]),
            )
        except (KeyError, TypeError, ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
            if isinstance(exc, IncompatibleModel):
                raise
            raise IncompatibleModel(f"damaged text classifier: {exc}") from exc


def _lexicon(
    arrays: dict[str, np.ndarray], block: int, total: int | None, seen: dict[bytes, Lexicon]
) -> Lexicon | None:
    """Block `block`'s lexicon; blocks with the same words share one (`seen`)."""
    if total is None:
        return None
    words = arrays[f"lexicon_words{block}"]
    freq = arrays[f"lexicon_freq{block}"]
    key = str(total).encode() + b"|" + words.tobytes() + b"|" + freq.tobytes()
    if key not in seen:
        seen[key] = Lexicon(
            zip((str(w) for w in words), (int(f) for f in freq), strict=True), total
        )
    return seen[key]


# --- samples and corpus ----------------------------------------------------------------------


def validated_samples(samples: Iterable[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(texts, labels) of (text, matter_code) pairs; at least two matters are required."""
    texts: list[str] = []
    labels: list[str] = []
    for text, matter_code in samples:
        if not isinstance(text, str) or not isinstance(matter_code, str) or not matter_code:
            raise InvalidInput(
                "训练样本格式错误：需要（文本，事项编码）",
                code="classifier_bad_sample",
                message_en="training samples must be (text, matter_code) string pairs",
            )
        texts.append(text)
        labels.append(matter_code)
    if len(set(labels)) < 2:
        raise InvalidInput(
            "训练样本至少需要两个不同的事项",
            code="classifier_too_few_classes",
            message_en="training needs samples of at least two different matters",
        )
    return texts, labels


def load_seed_corpus() -> list[tuple[str, str]]:
    """The seed corpus shipped with the package, as (text, matter_code) pairs."""
    source = resources.files("urbanops").joinpath("data", "classifier", "seed_corpus.csv")
    with io.StringIO(source.read_text(encoding="utf-8")) as handle:
        return [(row["text"], row["matter_code"]) for row in csv.DictReader(handle)]


def top_k_accuracy(
    model: TextClassifier, samples: Sequence[tuple[str, str]]
) -> tuple[float, float]:
    """Top-1 and top-3 accuracy of `model` on (text, matter_code) pairs."""
    if not samples:
        raise ValueError("no samples to score")
    hits1 = hits3 = 0
    for text, matter_code in samples:
        codes = [s.matter_code for s in model.suggest(text, k=3)]
        hits1 += codes[:1] == [matter_code]
        hits3 += matter_code in codes
    return hits1 / len(samples), hits3 / len(samples)
