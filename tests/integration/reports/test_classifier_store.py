"""The stored classifier: trained in a child process, read in slices, never retrained by serving."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.reports import classifier as clf
from urbanops.reports import suggest, training
from urbanops.reports.models import ClassifierModel

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Each test loads the active model itself (the cache is per process, keyed by row id)."""
    suggest._model = None
    yield
    suggest._model = None


def _active(session: Session) -> list[int]:
    return list(session.scalars(select(ClassifierModel.id).where(ClassifierModel.is_active)))


def _store(session: Session, blob: bytes) -> ClassifierModel:
    session.query(ClassifierModel).update({"is_active": False})
    row = ClassifierModel(created_at=NOW, samples=1, corrections=0, blob=blob, is_active=True)
    session.add(row)
    session.flush()
    return row


def test_training_stores_plain_arrays_that_serve_scikit_learns_probabilities(
    session: Session,
) -> None:
    before = _active(session)
    done = suggest.train_and_store(session, NOW, force=True)
    row = done.row
    assert done.refused is None
    assert _active(session) == [row.id] and row.id not in before
    served = suggest.active_model(session)
    assert served is not None and served.gate is not None
    assert row.metrics["format"] == clf.FORMAT_VERSION
    assert row.metrics["target"] == served.gate.target == 0.95
    assert row.metrics["auto_precision"] >= 0.95
    samples, _ = suggest.training_samples(session)
    assert row.samples == len(samples) == served.trained_at_samples
    pipeline = training.fit(samples)
    texts = ["路灯坏了一个星期", "有人在人行道上摆摊卖水果", "河涌的水又黑又臭", "井盖冇咗，好危险"]
    actual = np.array([served.probabilities(t) for t in texts])
    np.testing.assert_allclose(actual, pipeline.predict_proba(texts), rtol=0, atol=1e-5)
    top = suggest.suggest(session, "路灯坏了一个星期")
    assert top[0].matter_code == "01037" and top[0].matter_name


def test_the_model_is_read_in_slices(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    row = _active(session)[0]
    whole = session.scalar(select(ClassifierModel.blob).where(ClassifierModel.id == row))
    monkeypatch.setattr(suggest, "READ_CHUNK", 100_003)  # not a divisor: a short last slice
    assert whole is not None and len(whole) > 10 * 100_003
    assert suggest.read_blob(session, row) == whole


def test_an_unreadable_model_gives_no_suggestions_and_is_not_retrained_by_serving(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_training(samples: object, target: object = None) -> bytes:
        raise AssertionError("serving trained a model")

    monkeypatch.setattr(suggest, "fit_in_child", no_training)
    old = clf._MAGIC + b'{"format": 1, "sklearn": "1.5.2"}\n\x80\x05pickle'
    _store(session, old)
    assert suggest.active_model(session) is None
    assert suggest.active_model(session) is None  # remembered, not read again
    assert suggest.suggest(session, "路灯坏了一个星期") == []


def test_preparing_the_database_retrains_only_when_no_model_is_usable(session: Session) -> None:
    good = _active(session)[0]
    assert suggest.ensure_model(session, NOW) is False
    assert _active(session) == [good]
    _store(session, clf._MAGIC + b'{"format": 1}\n')
    assert suggest.ensure_model(session, NOW) is True
    (retrained,) = _active(session)
    assert retrained != good
    assert suggest.active_model(session) is not None


def test_a_model_that_does_worse_on_the_evaluation_set_is_not_published(
    session: Session, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    active = suggest.active_model(session)
    assert active is not None and active.gate is not None
    before = _active(session)
    worse = dict(active.gate.measured, auto_rate=active.gate.measured["auto_rate"] - 0.1)
    weaker = active.with_gate(clf.Gate(0.99, 0.99, active.gate.target, worse))
    monkeypatch.setattr(suggest, "fit_in_child", lambda *args: weaker.to_bytes())
    done = suggest.train_and_store(session, NOW)
    assert done.refused is not None and done.refused.startswith("auto_rate")
    assert done.row.is_active is False and _active(session) == before
    assert "not published" in caplog.text
    assert suggest.train_and_store(session, NOW, force=True).row.is_active  # unless forced
    without_gate = active.with_gate(None)
    monkeypatch.setattr(suggest, "fit_in_child", lambda *args: without_gate.to_bytes())
    assert suggest.worse_than(without_gate, active) == "no gate reaches the target precision"
