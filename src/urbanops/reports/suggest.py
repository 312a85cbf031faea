"""Matter suggestions for report text: the active trained model, restricted to a category.

The model is trained from the seed corpus plus operators' corrections (a case whose matter a
clerk set or changed) by `train_and_store` (the retraining job and `urbanops migrate`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from urbanops.cases.models import Case
from urbanops.catalogue import service as catalogue
from urbanops.reports import classifier as clf
from urbanops.reports.models import ClassifierModel, Report


@dataclass(frozen=True)
class Suggestion:
    matter_code: str
    matter_name: str
    confidence: float


_lock = threading.Lock()
_model: tuple[int, clf.TextClassifier] | None = None


def active_model(session: Session) -> clf.TextClassifier | None:
    global _model
    row = session.execute(
        select(ClassifierModel.id)
        .where(ClassifierModel.is_active.is_(True))
        .order_by(ClassifierModel.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if row is None:
        return None
    cached = _model
    if cached is not None and cached[0] == row:
        return cached[1]
    with _lock:  # one thread deserialises a new model; the others wait for it
        if _model is not None and _model[0] == row:
            return _model[1]
        blob = session.scalar(select(ClassifierModel.blob).where(ClassifierModel.id == row))
        assert blob is not None
        try:
            model = clf.TextClassifier.from_bytes(blob)
        except clf.IncompatibleModel:
            # stored by another scikit-learn version: retrain from the same sources now
            samples, _ = training_samples(session)
            model = clf.train(samples)
        _model = (row, model)
    return model


def suggest(
    session: Session, text: str, *, category_code: str | None = None, k: int = 3
) -> list[Suggestion]:
    """Top-k matters for `text`; within a category only its matters (renormalised)."""
    snap = catalogue.snapshot(session)
    allowed: tuple[str, ...] | None = None
    if category_code:
        allowed = catalogue.require_category(session, category_code).matters
        if len(allowed) == 1:
            code = allowed[0]
            return [Suggestion(code, snap.matters[code].name, 1.0)]
    model = active_model(session) if text.strip() else None
    if model is None:
        return []
    raw = model.suggest(text, k=len(model.classes) if allowed else k)
    if allowed is not None:
        raw = [s for s in raw if s.matter_code in allowed]
        total = sum(s.confidence for s in raw) or 1.0
        raw = [clf.Suggestion(s.matter_code, s.confidence / total) for s in raw]
    return [
        Suggestion(s.matter_code, snap.matters[s.matter_code].name, round(s.confidence, 4))
        for s in raw[:k]
        if s.matter_code in snap.matters
    ]


def training_samples(session: Session) -> tuple[list[tuple[str, str]], int]:
    """Seed corpus plus operators' corrections: reports whose case's matter differs from the
    model's top suggestion, or was set by staff on a case the model could not classify."""
    samples = clf.load_seed_corpus()
    rows = session.execute(
        select(Report.description, Case.matter_code, Report.suggestions)
        .join(Case, Case.id == Report.case_id)
        .where(
            Case.matter_code.is_not(None), Report.description != "", Report.matter_code.is_(None)
        )
    ).all()
    corrections = 0
    for text, matter, suggestions in rows:
        top = suggestions[0]["matter_code"] if suggestions else None
        if top != matter:
            samples.append((text, matter))
            corrections += 1
    return samples, corrections


def train_and_store(session: Session, now: datetime) -> ClassifierModel:
    samples, corrections = training_samples(session)
    model = clf.train(samples)
    session.execute(update(ClassifierModel).values(is_active=False))
    row = ClassifierModel(
        created_at=now,
        samples=len(samples),
        corrections=corrections,
        metrics={},
        blob=model.to_bytes(),
        is_active=True,
    )
    session.add(row)
    session.flush()
    return row


def ensure_model(session: Session, now: datetime) -> bool:
    """Train a first model when none exists; True if one was trained."""
    exists = session.scalar(select(ClassifierModel.id).limit(1))
    if exists is not None:
        return False
    train_and_store(session, now)
    return True
