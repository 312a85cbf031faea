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


def jieba_dictionary() -> tuple[dict[str, int], int]:
    """jieba's own dictionary (word → frequency) and its total, read from the package file
    (no cache file is written, unlike `jieba.initialize`)."""
    words: dict[str, int] = {}
    with jieba.get_dict_file() as handle:
        for line in handle:
            word, freq, *_ = line.decode("utf-8").split(" ")
            words[word] = int(freq)
    return words, sum(words.values())


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
    same two of the text's head, then a linear model with logistic loss."""
    dictionary, total = jieba_dictionary()
    lexicon = Lexicon.of_texts(texts, dictionary, total, catalogue_terms())

    def block(analyzer: Analyzer) -> TfidfVectorizer:
        return TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, min_df=2, dtype=np.float64)

    features = FeatureUnion(
        [
            ("chars", block(Analyzer("char_wb", (1, 2)))),
            ("words", block(Analyzer("words", (1, 2), lexicon=lexicon))),
            ("head_chars", block(Analyzer("char_wb", (1, 2), head=HEAD))),
            ("head_words", block(Analyzer("words", (1, 1), head=HEAD, lexicon=lexicon))),
        ],
        transformer_weights={"chars": 1.0, "words": 1.0, "head_chars": 0.6, "head_words": 0.6},
    )
    model = SGDClassifier(loss="log_loss", alpha=2e-6, max_iter=50, tol=None, random_state=0)
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


def _grid(values: Iterable[float], floor: float) -> list[float]:
    """Candidate thresholds: the distinct observed values at or above `floor`, thinned to
    about 60 quantiles."""
    ordered = sorted({round(v, 4) for v in values if v >= floor})
    if len(ordered) > 60:
        step = len(ordered) / 60
        ordered = [ordered[int(i * step)] for i in range(60)]
    return [floor, *ordered]


def choose_gate(model: TextClassifier, rows: Sequence[Labelled], target: float) -> Gate | None:
    """The gate that dispatches the most in-remit rows automatically while the automatic
    dispatches' precision on `rows` stays at or above `target`; None when no gate does (then
    nothing is dispatched without a clerk). The remit threshold is at least 0.5: a text the
    model thinks more likely out of remit is never dispatched."""
    assessments = assess_all(model, rows)
    known = [a for a in assessments if a is not None]
    remits = _grid((a.in_remit for a in known), 0.5)
    matters = _grid((a.matters[0].confidence for a in known if a.matters), 0.0)
    best: tuple[tuple[float, float, float, float], Gate] | None = None
    for remit in remits:
        for matter in matters:
            gate = Gate(remit=remit, matter=matter, target=target)
            s = score(rows, assessments, gate)
            if s.auto < MIN_AUTO or s.auto_precision < target:
                continue
            rank = (s.auto_rate, -s.out_of_remit_auto, s.auto_precision, remit + matter)
            if best is None or rank > best[0]:
                measured = {
                    "auto_rate": s.auto_rate,
                    "auto_precision": s.auto_precision,
                    "out_of_remit_auto": s.out_of_remit_auto,
                    "top1": s.top1,
                    "top3": s.top3,
                    "n": float(s.n),
                }
                best = (rank, Gate(remit, matter, target, measured))
    return best[1] if best else None


def holdout_estimate(
    model: TextClassifier, rows: Sequence[Labelled], target: float
) -> dict[str, float]:
    """What a gate chosen on one half of `rows` gives on the other half, both ways, averaged:
    the gate's measured figures come from the set it was chosen on, and flatter it."""
    halves = (rows[0::2], rows[1::2])
    figures: list[dict[str, float]] = []
    for chosen_on, tested_on in (halves, halves[::-1]):
        gate = choose_gate(model, chosen_on, target)
        s = score(tested_on, assess_all(model, tested_on), gate)
        figures.append(
            {
                "auto_rate": s.auto_rate,
                "auto_precision": s.auto_precision,
                "out_of_remit_auto": s.out_of_remit_auto,
            }
        )
    return {f"holdout_{k}": (figures[0][k] + figures[1][k]) / 2 for k in figures[0]}


def train_gated(
    samples: Iterable[tuple[str, str]], evaluation: Sequence[Labelled], target: float
) -> TextClassifier:
    """`train`, then the gate chosen on `evaluation` for `target` precision, with the held-out
    estimate in its measured figures."""
    model = train(samples)
    gate = choose_gate(model, evaluation, target)
    if gate is not None:
        gate.measured.update(holdout_estimate(model, evaluation, target))
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
        model = train_gated(samples, evaluation_set(), float(target))
    sys.stdout.buffer.write(model.to_bytes())
    sys.stdout.buffer.flush()


if __name__ == "__main__":
    main()
