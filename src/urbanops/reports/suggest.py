"""Matter suggestions for report text: the active trained model, restricted to a category.

The model is trained from the seed corpus plus operators' corrections (a case whose matter a
clerk set or changed) by `train_and_store` (the retraining job, `urbanops classifier train`, and
`urbanops migrate` when there is no usable model). Training runs scikit-learn in a child process
(`fit_in_child`): the calling process — a web worker running the in-process job worker, say —
only ever loads the exported arrays.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import LargeBinary, func, select, update
from sqlalchemy.orm import Session

from urbanops.cases.models import Case
from urbanops.catalogue import service as catalogue
from urbanops.reports import classifier as clf
from urbanops.reports.models import ClassifierModel, Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggestion:
    matter_code: str
    matter_name: str
    confidence: float


_lock = threading.Lock()
#: (row id, model) of the active model last loaded; model None: that row is not loadable here
_model: tuple[int, clf.TextClassifier | None] | None = None


def _active_id(session: Session) -> int | None:
    return session.execute(
        select(ClassifierModel.id)
        .where(ClassifierModel.is_active.is_(True))
        .order_by(ClassifierModel.id.desc())
        .limit(1)
    ).scalar_one_or_none()


#: The model is read in slices of this size: libpq keeps its input buffer as large as the
#: largest result a connection received (a bytea arrives hex-encoded, twice its size), so one
#: 6 MB read would leave ~12 MB in every pooled connection that ever loaded the model.
READ_CHUNK = 512 * 1024


def read_blob(session: Session, row: int) -> bytes:
    """The stored bytes of model `row`, read in `READ_CHUNK` slices."""
    size = session.scalar(
        select(func.length(ClassifierModel.blob)).where(ClassifierModel.id == row)
    )
    out = bytearray()
    for start in range(0, size or 0, READ_CHUNK):
        piece = session.scalar(
            select(
                func.substring(ClassifierModel.blob, start + 1, READ_CHUNK, type_=LargeBinary)
            ).where(ClassifierModel.id == row)
        )
        out += piece or b""
    return bytes(out)


def active_model(session: Session) -> clf.TextClassifier | None:
    """The active model, loaded once per row; None when there is none or it cannot be read
    (stored by an older version: no suggestions until `urbanops migrate`, `serve` or the
    nightly job retrains — serving never trains)."""
    global _model
    row = _active_id(session)
    if row is None:
        return None
    cached = _model
    if cached is not None and cached[0] == row:
        return cached[1]
    with _lock:  # one thread deserialises a new model; the others wait for it
        if _model is not None and _model[0] == row:
            return _model[1]
        model: clf.TextClassifier | None
        try:
            model = clf.TextClassifier.from_bytes(read_blob(session, row))
        except clf.IncompatibleModel as exc:
            log.warning("classifier model #%d is not usable (%s): no suggestions", row, exc)
            model = None
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


def fit_in_child(samples: Sequence[tuple[str, str]]) -> bytes:
    """Train on (text, matter_code) pairs in `python -m urbanops.reports.training` and return
    the model's bytes, so that scikit-learn is never imported into this process."""
    clf.validated_samples(samples)  # refused here, with the domain error, not in the child
    result = subprocess.run(
        [sys.executable, "-m", "urbanops.reports.training"],
        input=json.dumps(samples, ensure_ascii=False).encode(),
        capture_output=True,
        check=False,
        timeout=3600,
    )
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"classifier training failed ({result.returncode}): {tail[0]}")
    clf.TextClassifier.from_bytes(result.stdout)  # refuse to store what cannot be served
    return result.stdout


def train_and_store(session: Session, now: datetime) -> ClassifierModel:
    """Train from the seed corpus and corrections (in a child process) and activate the model."""
    samples, corrections = training_samples(session)
    blob = fit_in_child(samples)
    session.execute(update(ClassifierModel).values(is_active=False))
    row = ClassifierModel(
        created_at=now,
        samples=len(samples),
        corrections=corrections,
        metrics={"format": clf.FORMAT_VERSION},
        blob=blob,
        is_active=True,
    )
    session.add(row)
    session.flush()
    return row


def ensure_model(session: Session, now: datetime) -> bool:
    """Train a model when there is no active one this code can load (a first run, or an upgrade
    that changed the model format); True if one was trained."""
    row = _active_id(session)
    if row is not None:
        try:
            clf.TextClassifier.from_bytes(read_blob(session, row))
            return False
        except clf.IncompatibleModel:
            pass
    train_and_store(session, now)
    return True
