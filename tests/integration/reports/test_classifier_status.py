"""`GET /api/v1/classifier`: the model intake serves (the newest active row), its dispatch gate
with what the evaluation set gave for it, and the refusal recorded on a newer model that was
not published."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from urbanops.identity.roles import Role
from urbanops.reports import classifier as clf
from urbanops.reports import suggest
from urbanops.reports.models import ClassifierModel

from ...factories import staff_member
from ..conftest import NOW, Staff, token

GATE_FIELDS = {
    "target",
    "remit",
    "matter",
    "auto_rate",
    "auto_precision",
    "out_of_remit_auto",
    "top1",
    "top3",
    "holdout_auto_rate",
    "holdout_auto_precision",
    "holdout_out_of_remit_auto",
    "evaluated",
}


@pytest.fixture(autouse=True)
def fresh_cache() -> Iterator[None]:
    """Each test loads the active model itself (the cache is per process, keyed by row id)."""
    suggest._model = None
    yield
    suggest._model = None


@pytest.fixture
def clerk(client: TestClient, staff: dict[str, Staff]) -> dict[str, str]:
    return token(client, staff["clerk"].username)


def active_row(session: Session) -> ClassifierModel:
    return session.scalars(
        select(ClassifierModel)
        .where(ClassifierModel.is_active.is_(True))
        .order_by(ClassifierModel.id.desc())
        .limit(1)
    ).one()


def store(
    session: Session,
    blob: bytes,
    *,
    active: bool,
    samples: int = 1,
    corrections: int = 0,
    metrics: dict[str, object] | None = None,
) -> ClassifierModel:
    if active:
        session.execute(update(ClassifierModel).values(is_active=False))
    row = ClassifierModel(
        created_at=NOW,
        samples=samples,
        corrections=corrections,
        metrics=metrics or {},
        blob=blob,
        is_active=active,
    )
    session.add(row)
    session.flush()
    return row


def status(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    r = client.get("/api/v1/classifier", headers=headers)
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_the_active_model_and_its_gate(
    session: Session, client: TestClient, clerk: dict[str, str]
) -> None:
    row = active_row(session)
    model = suggest.active_model(session)
    assert model is not None and model.gate is not None
    body = status(client, clerk)
    assert (body["id"], body["samples"], body["clerk_decisions"]) == (
        row.id,
        row.samples,
        row.corrections,
    )
    assert body["created_at"] is not None and body["usable"] is True
    assert body["refused"] is None and body["refused_at"] is None
    gate = body["gate"]
    assert isinstance(gate, dict) and set(gate) == GATE_FIELDS
    measured = model.gate.measured
    assert (gate["target"], gate["remit"], gate["matter"]) == (
        model.gate.target,
        model.gate.remit,
        model.gate.matter,
    )
    for name in ("auto_rate", "auto_precision", "out_of_remit_auto", "holdout_auto_rate"):
        assert gate[name] == pytest.approx(measured[name])
    assert gate["holdout_auto_precision"] == pytest.approx(measured["holdout_auto_precision"])
    assert gate["auto_precision"] >= gate["target"]
    assert gate["evaluated"] == int(measured["n"])


def test_a_model_without_a_gate_dispatches_nothing_by_itself(
    session: Session, client: TestClient, clerk: dict[str, str]
) -> None:
    model = suggest.active_model(session)
    assert model is not None
    row = store(session, model.with_gate(None).to_bytes(), active=True, samples=7, corrections=3)
    body = status(client, clerk)
    assert (body["id"], body["samples"], body["clerk_decisions"]) == (row.id, 7, 3)
    assert body["usable"] is True and body["gate"] is None and body["refused"] is None


def test_a_retrained_model_that_was_not_published_is_named_with_its_reason(
    session: Session, client: TestClient, clerk: dict[str, str]
) -> None:
    active = active_row(session)
    model = suggest.active_model(session)
    assert model is not None
    newer = store(
        session,
        model.to_bytes(),
        active=False,
        metrics={"format": clf.FORMAT_VERSION, "refused": "auto_rate 0.612 < 0.700"},
    )
    body = status(client, clerk)
    assert body["id"] == active.id and body["gate"] is not None
    assert body["refused"] == "auto_rate 0.612 < 0.700"
    assert body["refused_at"] is not None and newer.id > active.id

    # once a newer model is published, the older refusal is no longer news
    store(session, model.to_bytes(), active=True, metrics={"refused": None})
    assert status(client, clerk)["refused"] is None


def test_an_unreadable_model_and_no_model_at_all(
    session: Session, client: TestClient, clerk: dict[str, str]
) -> None:
    old = store(session, clf._MAGIC + b'{"format": 1}\n', active=True)
    body = status(client, clerk)
    assert (body["id"], body["usable"], body["gate"]) == (old.id, False, None)

    session.execute(update(ClassifierModel).values(is_active=False))
    session.flush()
    body = status(client, clerk)
    assert body["id"] is None and body["samples"] is None and body["usable"] is False
    assert body["gate"] is None and body["refused"] is None


def test_staff_with_a_role_only(session: Session, client: TestClient) -> None:
    assert client.get("/api/v1/classifier").status_code == 401
    staff_member(session, "classifier_norole", [])
    r = client.get("/api/v1/classifier", headers=token(client, "classifier_norole"))
    assert r.status_code == 403 and r.json()["code"] == "no_role", r.text
    staff_member(session, "classifier_handler", [Role.handler])
    r = client.get("/api/v1/classifier", headers=token(client, "classifier_handler"))
    assert r.status_code == 200, r.text
