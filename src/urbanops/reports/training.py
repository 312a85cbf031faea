"""Training the report classifier with scikit-learn, and exporting it to plain arrays.

Only training imports scikit-learn (and scipy): `urbanops classifier train` / `evaluate`, and the
retraining job, which runs `python -m urbanops.reports.training` in a child process (see
`urbanops.reports.suggest.fit_in_child`) so that no long-lived process — web worker, in-process
job worker, `urbanops worker` — keeps the library's ~115 MiB. Serving reads the exported arrays
with numpy alone (`urbanops.reports.classifier.TextClassifier`).

`export` turns a fitted pipeline into a `TextClassifier` that gives the pipeline's
`predict_proba` (to rounding): a `TfidfVectorizer` (char or char_wb n-grams of `normalise`d
text, or any `text_features.Analyzer`: word n-grams, head blocks), or a `FeatureUnion` of them,
then a linear classifier — `SGDClassifier(loss="log_loss")`, `LogisticRegression`, or either
inside `CalibratedClassifierCV(ensemble=False)` with sigmoid or temperature calibration.

`choose_gate` picks the automatic-dispatch gate on labelled messages for a target precision.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Any

import jieba
import numpy as np
import sklearn
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from urbanops.reports.classifier import (
    Assessment,
    Calibration,
    Gate,
    TextClassifier,
    Vectoriser,
    validated_samples,
)
from urbanops.reports.evaluation import Labelled, assess_all, score
from urbanops.reports.text_features import ANALYZERS, Analyzer, Lexicon, normalise

#: Characters of the normalised text a head block reads: a title line, or the first sentence.
HEAD = 40
#: The most frequent n-grams a block keeps: every web process holds the model's weights
#: (features × classes in single precision), ~11 MB at this size against ~45 MB with all.
MAX_FEATURES = 8000


def jieba_dictionary() -> tuple[dict[str, int], int]:
    """jieba's own dictionary (word → frequency) and its total, read from the package file
    (no cache file is written, unlike `jieba.initialize`)."""
    words: dict[str, int] = {}
    total = 0  # as jieba counts it: every line, a word listed twice included
    with jieba.get_dict_file() as handle:
        for line in handle:
            word, freq, *_ = line.decode("utf-8").split(" ")
            words[word] = int(freq)
            total += int(freq)
    return words, total


def catalogue_terms() -> list[str]:
    """The catalogue's own names (matters, components, citizens' categories), so that word
    segmentation keeps them whole and they become features of their own."""
    data = resources.files("urbanops").joinpath("data")
    terms: list[str] = []
    for parts, column in (
        (("catalogue", "matters.csv"), "name"),
        (("catalogue", "components.csv"), "name"),
        (("categories.csv",), "name_zh"),
    ):
        text = data.joinpath(*parts).read_text(encoding="utf-8")
        for row in csv.DictReader(io.StringIO(text)):
            name = row[column].split("（")[0]
            terms.append(name)
            for suffix in ("异常", "乱象"):
                if name.endswith(suffix) and len(name) > len(suffix) + 1:
                    terms.append(name.removesuffix(suffix))
    return terms


def build_pipeline(texts: Sequence[str]) -> Pipeline:
    """The production pipeline for a training set: TF-IDF blocks of character n-grams and of
    jieba words (over a lexicon of the words `texts` contain, plus the catalogue's names), the
    same two of the text's head at a lower weight, then a linear model with logistic loss.

    Chosen by cross-writer validation on the training corpus alone (the evaluation set is never
    used for this): train on the seed corpus and one writer's out-of-remit messages, test on the
    long in-remit messages and the other writer's, and the other way round. Against character
    n-grams alone, word n-grams add 2–5 points of top-1; head blocks at weight 0.6 cost 2–4
    points, at 0.3 they are level on top-1 and dispatch 1–2 points more automatically; alpha
    5e-6 beats 2e-6 and 1e-5; (1, 3) character n-grams and word unigrams alone do worse; 20
    epochs instead of 50 lose 3 points; keeping the 8,000 most frequent n-grams of a block
    costs half a point of top-1 against keeping every one seen twice (and a quarter of the
    memory).
    """
    dictionary, total = jieba_dictionary()
    lexicon = Lexicon.of_texts(texts, dictionary, total, catalogue_terms())

    def block(analyzer: Analyzer) -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer=analyzer,
            sublinear_tf=True,
            min_df=2,
            max_features=MAX_FEATURES,
            dtype=np.float64,
        )

    features = FeatureUnion(
        [
            ("chars", block(Analyzer("char_wb", (1, 2)))),
            ("words", block(Analyzer("words", (1, 2), lexicon=lexicon))),
            ("head_chars", block(Analyzer("char_wb", (1, 2), head=HEAD))),
            ("head_words", block(Analyzer("words", (1, 1), head=HEAD, lexicon=lexicon))),
        ],
        transformer_weights={"chars": 1.0, "words": 1.0, "head_chars": 0.3, "head_words": 0.3},
    )
    model = SGDClassifier(loss="log_loss", alpha=5e-6, max_iter=50, tol=None, random_state=0)
    return Pipeline([("tfidf", features), ("model", model)])


def fit(samples: Iterable[tuple[str, str]], pipeline: Pipeline | None = None) -> Pipeline:
    """Fit `pipeline` (default `build_pipeline()` of the texts) on (text, label) pairs."""
    texts, labels = validated_samples(samples)
    pipeline = pipeline if pipeline is not None else build_pipeline(texts)
    pipeline.fit(texts, labels)
    return pipeline


def train(samples: Iterable[tuple[str, str]]) -> TextClassifier:
    """Fit the production pipeline and export it; at least two classes are required. A label
    is a matter code or an out-of-remit channel (`out:hrss`)."""
    texts, labels = validated_samples(samples)
    return export(fit(zip(texts, labels, strict=True)), trained_at_samples=len(texts))


# --- the dispatch gate ---------------------------------------------------------------------------

#: Fewest automatic dispatches a gate must make on the set it is chosen on: a precision
#: measured on fewer says too little.
MIN_AUTO = 20
#: One-sided 95 % normal quantile: a gate's precision counts by its lower confidence bound.
Z = 1.645


def precision_lower_bound(right: np.ndarray, total: np.ndarray, z: float = Z) -> np.ndarray:
    """Wilson score lower bound of precisions of `right` out of `total` (arrays): what each
    precision is at least, with 95 % confidence, on messages like these (0 where total is 0)."""
    n = np.maximum(total, 1).astype(np.float64)
    p = right / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    bound: np.ndarray = np.where(total > 0, (centre - spread) / (1 + z * z / n), 0.0)
    return bound


def _grid(values: np.ndarray, floor: float) -> np.ndarray:
    """Candidate thresholds: `floor` and the distinct observed values above it, thinned to
    about 60 quantiles."""
    ordered = np.unique(np.round(values[values >= floor], 4))
    if len(ordered) > 60:
        ordered = ordered[(np.arange(60) * len(ordered)) // 60]
    return np.concatenate([[floor], ordered])


def choose_gate(
    rows: Sequence[Labelled],
    found: Sequence[Assessment | None],
    target: float,
    *,
    max_out_of_remit: float = 1.0,
) -> Gate | None:
    """The gate that dispatches the most in-remit rows automatically while the automatic
    dispatches' precision on `rows` stays at or above `target` — by its 95 % lower confidence
    bound, not the point estimate, so that a handful of lucky rows does not set it — and at
    most `max_out_of_remit` of the out-of-remit rows are dispatched; None when no gate does
    (then nothing is dispatched without a clerk). Ties go to fewer out-of-remit
    dispatches, then higher precision, then stricter thresholds. The remit threshold is at
    least 0.5: a text the model thinks more likely out of remit is never dispatched. `found`
    are the model's assessments of `rows` (`evaluation.assess_all`)."""
    remit = np.array([a.in_remit if a and a.matters else -1.0 for a in found])
    conf = np.array([a.matters[0].confidence if a and a.matters else -1.0 for a in found])
    inside = np.array([r.in_remit for r in rows])
    right = np.array(
        [
            r.in_remit and a is not None and bool(a.matters) and a.matters[0].matter_code in r.codes
            for r, a in zip(rows, found, strict=True)
        ]
    )
    remits, matters = _grid(remit, 0.5), _grid(conf, 0.0)
    auto = (remit >= remits[:, None, None]) & (conf >= matters[None, :, None])
    total, hits = auto.sum(-1), (auto & right).sum(-1)
    auto_in, auto_out = (auto & inside).sum(-1), (auto & ~inside).sum(-1)
    outside = max(int((~inside).sum()), 1)
    valid = (
        (total >= MIN_AUTO)
        & (precision_lower_bound(hits, total) >= target)
        & (auto_out / outside <= max_out_of_remit)
    )
    if not valid.any():
        return None
    precision = hits / np.maximum(total, 1)
    strictness = remits[:, None] + matters[None, :]
    keys = [k[valid] for k in (strictness, precision, -auto_out, auto_in)]
    best = np.lexsort(keys)[-1]  # the last key sorts first
    i, j = (int(x[best]) for x in np.nonzero(valid))
    gate = Gate(float(remits[i]), float(matters[j]), target, max_out_of_remit=max_out_of_remit)
    s = score(rows, found, gate)
    measured = {
        "auto_rate": s.auto_rate,
        "auto_precision": s.auto_precision,
        "out_of_remit_auto": s.out_of_remit_auto,
        "top1": s.top1,
        "top3": s.top3,
        "n": float(s.n),
    }
    return Gate(gate.remit, gate.matter, target, measured, max_out_of_remit)


def holdout_estimate(
    rows: Sequence[Labelled],
    found: Sequence[Assessment | None],
    target: float,
    *,
    max_out_of_remit: float = 1.0,
) -> dict[str, float]:
    """What a gate chosen on one half of `rows` gives on the other half, both ways, averaged:
    the gate's measured figures come from the set it was chosen on, and flatter it."""
    halves = ((rows[0::2], found[0::2]), (rows[1::2], found[1::2]))
    figures: list[dict[str, float]] = []
    for (chosen_rows, chosen), (tested_rows, tested) in (halves, halves[::-1]):
        gate = choose_gate(chosen_rows, chosen, target, max_out_of_remit=max_out_of_remit)
        s = score(tested_rows, tested, gate)
        figures.append(
            {
                "auto_rate": s.auto_rate,
                "auto_precision": s.auto_precision,
                "out_of_remit_auto": s.out_of_remit_auto,
            }
        )
    return {f"holdout_{k}": (figures[0][k] + figures[1][k]) / 2 for k in figures[0]}


def train_gated(
    samples: Iterable[tuple[str, str]],
    evaluation: Sequence[Labelled],
    target: float,
    *,
    max_out_of_remit: float = 1.0,
) -> TextClassifier:
    """`train`, then the gate chosen on `evaluation` for `target` precision and at most
    `max_out_of_remit` out-of-remit dispatches, with the held-out estimate in its figures."""
    model = train(samples)
    found = assess_all(model, evaluation)
    limit = {"max_out_of_remit": max_out_of_remit}
    gate = choose_gate(evaluation, found, target, **limit)
    if gate is not None:
        gate.measured.update(holdout_estimate(evaluation, found, target, **limit))
    return model.with_gate(gate)


# --- export --------------------------------------------------------------------------------------


def _vectoriser(step: Any, weight: float = 1.0) -> Vectoriser:
    if not isinstance(step, TfidfVectorizer):
        raise ValueError(f"cannot export a {type(step).__name__} vectoriser")
    if isinstance(step.analyzer, Analyzer):
        spec = step.analyzer
    elif step.analyzer in ANALYZERS and step.preprocessor is normalise:
        spec = Analyzer(step.analyzer, (int(step.ngram_range[0]), int(step.ngram_range[1])))
    else:
        raise ValueError("only `Analyzer`s and char / char_wb n-grams of `normalise`d text")
    terms = [""] * len(step.vocabulary_)
    for term, column in step.vocabulary_.items():
        terms[column] = term
    return Vectoriser(
        analyzer=spec.kind,
        ngram_range=spec.ngram_range,
        head=spec.head,
        lexicon=spec.lexicon,
        terms=tuple(terms),
        idf=np.asarray(step.idf_, dtype=np.float64) if step.use_idf else None,
        sublinear_tf=bool(step.sublinear_tf),
        norm=step.norm,
        weight=weight,
    )


def _vectorisers(step: Any) -> list[Vectoriser]:
    if isinstance(step, FeatureUnion):
        weights = step.transformer_weights or {}
        return [
            _vectoriser(part, float(weights.get(name, 1.0)))
            for name, part in step.transformer_list
            if part != "drop"
        ]
    return [_vectoriser(step)]


def _linear(model: Any) -> tuple[np.ndarray, np.ndarray, str]:
    """(coef, intercept, link) of a fitted linear classifier."""
    if isinstance(model, SGDClassifier) and model.loss == "log_loss":
        return model.coef_, model.intercept_, "logistic_ovr"
    if isinstance(model, LogisticRegression):
        return model.coef_, model.intercept_, "softmax"
    raise ValueError(f"cannot export a {type(model).__name__} (linear log-loss models only)")


def export(pipeline: Pipeline, *, trained_at_samples: int) -> TextClassifier:
    """The fitted `pipeline` as plain arrays (see the module docstring for what it accepts)."""
    steps = [step for _, step in pipeline.steps if step not in (None, "passthrough")]
    if len(steps) != 2:
        raise ValueError("expected a pipeline of a vectoriser and a classifier")
    vectorisers = _vectorisers(steps[0])
    model, calibration = steps[1], None
    if isinstance(model, CalibratedClassifierCV):
        if len(model.calibrated_classifiers_) != 1:
            raise ValueError("an ensemble of calibrated classifiers is not one linear model")
        inner = model.calibrated_classifiers_[0]
        if inner.method == "sigmoid":
            a = np.array([c.a_ for c in inner.calibrators], dtype=np.float64)
            b = np.array([c.b_ for c in inner.calibrators], dtype=np.float64)
            calibration = Calibration("sigmoid", a=a, b=b)
        elif inner.method == "temperature":
            calibration = Calibration("temperature", beta=float(inner.calibrators[0].beta_))
        else:
            raise ValueError(f"cannot export {inner.method} calibration")
        classes, (coef, intercept, link) = model.classes_, _linear(inner.estimator)
    else:
        classes, (coef, intercept, link) = model.classes_, _linear(model)
    return TextClassifier(
        vectorisers=vectorisers,
        weights=np.asarray(coef, dtype=np.float64).T,
        intercept=np.asarray(intercept, dtype=np.float64),
        classes=[str(c) for c in classes],
        link=link,
        calibration=calibration,
        trained_at_samples=trained_at_samples,
        info={"sklearn": sklearn.__version__, "estimator": type(model).__name__},
    )


def main() -> None:
    """`python -m urbanops.reports.training`: on stdin a JSON object, `samples` (an array of
    [text, label] pairs) and `target` (the gate's precision, or null for no gate); on stdout
    the trained model's `to_bytes()`, its gate chosen on the project's evaluation set."""
    from urbanops.reports.evaluation import evaluation_set

    job = json.load(sys.stdin)
    samples = [(str(text), str(label)) for text, label in job["samples"]]
    target = job.get("target")
    if target is None:
        model = train(samples)
    else:
        limit = float(job.get("max_out_of_remit", 1.0))
        model = train_gated(samples, evaluation_set(), float(target), max_out_of_remit=limit)
    sys.stdout.buffer.write(model.to_bytes())
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
