"""The exported classifier gives scikit-learn's probabilities without scikit-learn.

Every pipeline `training.export` accepts — the production one, logistic regression, sigmoid and
temperature calibration, a union of vectorisers, a binary model — is fitted here with
scikit-learn, exported, and its probabilities compared with the pipeline's `predict_proba` on
held-out text (to 1e-9); the n-gram analyzers are compared with scikit-learn's own.
"""

from __future__ import annotations

import csv
import subprocess
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from urbanops.core.errors import InvalidInput
from urbanops.reports import suggest, training
from urbanops.reports.classifier import TextClassifier, load_seed_corpus
from urbanops.reports.text_features import ANALYZERS, normalise

PROBE = Path(__file__).parents[2] / "data" / "classifier_probe.csv"
EDGE_TEXTS = [
    "",
    " ",
    "a",
    "路",
    "  路  灯 ",
    "ab cd\tef\n\ngh",
    "🤮🤮",
    "x" * 40,
    "井盖冇咗，好危险",
]


@pytest.fixture(scope="module")
def seed() -> list[tuple[str, str]]:
    return load_seed_corpus()


@pytest.fixture(scope="module")
def held_out() -> list[str]:
    with PROBE.open(encoding="utf-8", newline="") as handle:
        return [row["text"] for row in csv.DictReader(handle)] + EDGE_TEXTS


@pytest.fixture(scope="module")
def small(seed: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Eight matters of the seed corpus: enough classes, quick to fit slower estimators on."""
    codes = sorted({code for _, code in seed})[:8]
    return [(text, code) for text, code in seed if code in codes]


def _served(model: TextClassifier, texts: list[str], n_classes: int) -> np.ndarray:
    """The exported model's probabilities; scikit-learn scores featureless text from the
    intercepts alone, where serving gives no suggestion: those rows are left out of both."""
    rows = [model.probabilities(text) for text in texts]
    return np.array([r if r is not None else np.full(n_classes, np.nan) for r in rows])


def _assert_same(pipeline: Pipeline, texts: list[str], samples: int) -> TextClassifier:
    model = training.export(pipeline, trained_at_samples=samples)
    expected = pipeline.predict_proba(texts)
    actual = _served(model, texts, expected.shape[1])
    known = ~np.isnan(actual[:, 0])
    assert known.sum() >= len(texts) - len(EDGE_TEXTS)  # every probe line has features
    assert list(model.classes) == [str(c) for c in pipeline.classes_]
    # the weights are served in single precision: probabilities agree to about 1e-6
    np.testing.assert_allclose(actual[known], expected[known], rtol=0, atol=1e-5)
    restored = TextClassifier.from_bytes(model.to_bytes())
    np.testing.assert_array_equal(_served(restored, texts, expected.shape[1]), actual)
    return model


@pytest.mark.parametrize("analyzer", ["char_wb", "char"])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 4)])
def test_analyzers_cut_the_n_grams_scikit_learn_cuts(
    seed: list[tuple[str, str]], held_out: list[str], analyzer: str, ngram_range: tuple[int, int]
) -> None:
    theirs = TfidfVectorizer(
        analyzer=analyzer, ngram_range=ngram_range, preprocessor=normalise
    ).build_analyzer()
    ours = ANALYZERS[analyzer]
    for text in [t for t, _ in seed[::7]] + held_out:
        assert Counter(ours(normalise(text), *ngram_range)) == Counter(theirs(text)), text


def test_the_production_pipeline(seed: list[tuple[str, str]], held_out: list[str]) -> None:
    model = _assert_same(training.fit(seed), held_out, len(seed))
    assert model.link == "logistic_ovr" and model.calibration is None
    assert [(v.analyzer, v.head) for v in model.vectorisers] == [
        ("char_wb", None),
        ("words", None),
        ("char_wb", training.HEAD),
        ("words", training.HEAD),
    ]
    columns = sum(len(v.terms) for v in model.vectorisers)
    assert model.weights.shape == (columns, len(model.classes))
    words = model.vectorisers[1]
    assert words.lexicon is not None and "井盖" in words.terms  # a word of the catalogue


def test_logistic_regression(small: list[tuple[str, str]], held_out: list[str]) -> None:
    pipeline = Pipeline(
        [
            ("tfidf", TfidfVectorizer(analyzer="char_wb", preprocessor=normalise)),
            ("model", LogisticRegression(C=10.0, max_iter=500)),
        ]
    )
    model = _assert_same(training.fit(small, pipeline), held_out, len(small))
    assert model.link == "softmax"


@pytest.mark.parametrize("method", ["sigmoid", "temperature"])
def test_calibrated_linear_model(
    small: list[tuple[str, str]], held_out: list[str], method: str
) -> None:
    base = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=30, tol=None, random_state=0)
    pipeline = Pipeline(
        [
            (
                "tfidf",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), preprocessor=normalise),
            ),
            ("model", CalibratedClassifierCV(base, method=method, cv=3, ensemble=False)),
        ]
    )
    model = _assert_same(training.fit(small, pipeline), held_out, len(small))
    assert model.calibration is not None and model.calibration.method == method


def test_a_union_of_weighted_vectorisers(small: list[tuple[str, str]], held_out: list[str]) -> None:
    union = FeatureUnion(
        [
            (
                "words",
                TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), preprocessor=normalise),
            ),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char", ngram_range=(2, 3), preprocessor=normalise, use_idf=False
                ),
            ),
        ],
        transformer_weights={"chars": 0.5},
    )
    pipeline = Pipeline([("features", union), ("model", LogisticRegression(max_iter=500))])
    model = _assert_same(training.fit(small, pipeline), held_out, len(small))
    assert [v.analyzer for v in model.vectorisers] == ["char_wb", "char"]
    assert model.vectorisers[1].idf is None and model.vectorisers[1].weight == 0.5


@pytest.mark.parametrize("method", [None, "sigmoid", "temperature"])
def test_binary_models(
    seed: list[tuple[str, str]], held_out: list[str], method: str | None
) -> None:
    two = [(t, c) for t, c in seed if c in ("01037", "01023")]
    model: object = SGDClassifier(loss="log_loss", max_iter=30, tol=None, random_state=0)
    if method is not None:
        model = CalibratedClassifierCV(model, method=method, cv=3, ensemble=False)
    pipeline = Pipeline(
        [("tfidf", TfidfVectorizer(analyzer="char_wb", preprocessor=normalise)), ("model", model)]
    )
    exported = _assert_same(training.fit(two, pipeline), held_out, len(two))
    assert exported.weights.shape[1] == 1


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (
            Pipeline(
                [
                    ("tfidf", TfidfVectorizer(analyzer="char_wb", preprocessor=normalise)),
                    ("model", SGDClassifier(loss="hinge", max_iter=5, tol=None)),
                ]
            ),
            "linear log-loss",
        ),
        (
            Pipeline(
                [
                    ("tfidf", TfidfVectorizer(analyzer="word")),
                    ("model", LogisticRegression()),
                ]
            ),
            "n-grams",
        ),
        (
            Pipeline(
                [
                    ("tfidf", TfidfVectorizer(analyzer="char_wb", preprocessor=normalise)),
                    ("model", CalibratedClassifierCV(LogisticRegression(), cv=2, ensemble=True)),
                ]
            ),
            "ensemble",
        ),
    ],
)
def test_what_cannot_be_exported_is_refused(
    small: list[tuple[str, str]], pipeline: Pipeline, message: str
) -> None:
    fitted = training.fit(small, pipeline)
    with pytest.raises(ValueError, match=message):
        training.export(fitted, trained_at_samples=len(small))


def test_training_in_a_child_process_gives_the_same_model(seed: list[tuple[str, str]]) -> None:
    blob = suggest.fit_in_child(seed)
    from_child = TextClassifier.from_bytes(blob)
    here = training.train(seed)
    assert from_child.classes == here.classes
    assert from_child.trained_at_samples == len(seed)
    np.testing.assert_allclose(from_child.weights, here.weights, rtol=0, atol=1e-12)
    for text in ["路灯坏了一个星期", "有人在人行道上摆摊卖水果"]:
        child, ours = from_child.probabilities(text), here.probabilities(text)
        assert child is not None and ours is not None
        np.testing.assert_allclose(child, ours, rtol=0, atol=1e-12)


def test_a_child_is_not_started_for_samples_that_cannot_train(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_child(*args: object, **kwargs: object) -> None:
        raise AssertionError("started a training process")

    monkeypatch.setattr(subprocess, "run", no_child)
    with pytest.raises(InvalidInput) as info:
        suggest.fit_in_child([("路灯不亮", "01037")])
    assert info.value.code == "classifier_too_few_classes"
