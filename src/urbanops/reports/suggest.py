"""What intake makes of report text: in remit or not, matter suggestions, and the gate.

`read` gives the active model's reading of a text: the probability that it is an
urban-management matter at all, the likeliest matters (within a category the citizen chose),
the other channel it suspects when the text is probably not urban management, and whether the
model's dispatch gate lets it be dispatched without a clerk.

The model is trained from the seed corpus, the labelled corpus and every decision clerks took in
the triage queue (a matter chosen or changed, a referral to another channel) by
`train_and_store` (the nightly job, `urbanops classifier train`, and `urbanops migrate` when
there is no usable model), with its gate chosen on the evaluation set for the configured
precision. A model that does worse on the evaluation set than the active one is not published.
Training runs scikit-learn in a child process (`fit_in_child`): the calling process — a web
worker running the in-process job worker, say — only ever loads the exported arrays.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import LargeBinary, and_, exists, func, select, update
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import CaseAction, CaseStatus
from urbanops.catalogue import service as catalogue
from urbanops.core.memory import release_unused
from urbanops.core.settings import get_settings
from urbanops.reports import classifier as clf
from urbanops.reports import model_cache
from urbanops.reports.evaluation import packaged_samples
from urbanops.reports.models import ClassifierModel, Report

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Suggestion:
    matter_code: str
    matter_name: str
    confidence: float


_lock = threading.Lock()
#: (row id, model, when the active row was last checked) of the active model last loaded;
#: model None: that row is not loadable here
_model: tuple[int, clf.TextClassifier | None, float] | None = None
#: How long a process serves the model it loaded before asking the database which row is
#: active again: a query per report otherwise, for a model that changes once a night.
CHECK_SECONDS = 30.0


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


def active_model(session: Session, *, fresh: bool = False) -> clf.TextClassifier | None:
    """The active model, loaded once per row; None when there is none or it cannot be read
    (stored by an older version: no suggestions until `urbanops migrate`, `serve` or the
    nightly job retrains — serving never trains). Which row is active is asked again after
    `CHECK_SECONDS`, or at once when `fresh` (status pages, training)."""
    global _model
    cached = _model
    if not fresh and cached is not None and time.monotonic() - cached[2] < CHECK_SECONDS:
        return cached[1]
    row = _active_id(session)
    if row is None:
        return None
    if cached is not None and cached[0] == row:
        _model = (row, cached[1], time.monotonic())
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
        _model = (row, model, time.monotonic())
    release_unused()  # the blob and the archive's buffers
    return model


def forget_model() -> None:
    """Ask the database which model is active at the next read (after this process published
    one)."""
    global _model
    _model = None


#: Below this probability of being urban management, a text is 「疑似非城管事项」.
SUSPECT_BELOW = 0.5


@dataclass(frozen=True)
class Reading:
    """What intake makes of a report's text (see `read`)."""

    suggestions: list[Suggestion]  # likeliest matters first; confidence given it is in remit
    in_remit: float | None  # None: no model, or nothing in the text the model knows
    channel: str | None  # the other channel suspected when in_remit < SUSPECT_BELOW
    automatic: bool  # dispatch the top matter without a clerk

    @property
    def suspected_out_of_remit(self) -> bool:
        return self.in_remit is not None and self.in_remit < SUSPECT_BELOW


NOTHING = Reading([], None, None, False)


def read(session: Session, text: str, *, category_code: str | None = None, k: int = 3) -> Reading:
    """The active model's reading of `text`; within a category, only its matters. A category
    with a single matter is the citizen's own classification: that matter, automatically."""
    snap = catalogue.snapshot(session)
    allowed: tuple[str, ...] | None = None
    if category_code:
        allowed = catalogue.require_category(session, category_code).matters
        if len(allowed) == 1:
            code = allowed[0]
            return Reading([Suggestion(code, snap.matters[code].name, 1.0)], None, None, True)
    model = active_model(session) if text.strip() else None
    assessment = model.assess(text, k=k, allowed=allowed) if model is not None else None
    if assessment is None:
        return NOTHING
    suggestions = [
        Suggestion(s.matter_code, snap.matters[s.matter_code].name, round(s.confidence, 4))
        for s in assessment.matters
        if s.matter_code in snap.matters
    ]
    in_remit = round(assessment.in_remit, 4)
    channel = assessment.channel if in_remit < SUSPECT_BELOW else None
    if channel is not None and channel not in snap.channels:
        channel = "other" if "other" in snap.channels else None
    gate = model.gate if model is not None else None
    automatic = bool(suggestions) and gate is not None and gate.admits(assessment)
    return Reading(suggestions, in_remit, channel, automatic)


def suggest(
    session: Session, text: str, *, category_code: str | None = None, k: int = 3
) -> list[Suggestion]:
    """Top-k matters for `text`; within a category only its matters (renormalised)."""
    return read(session, text, category_code=category_code, k=k).suggestions


def clerk_decisions(session: Session) -> list[tuple[str, str]]:
    """Every decision clerks took on a report's text, as (text, label): the matter of a case
    a clerk accepted (the model's suggestion confirmed, changed, or a suspicion of another
    channel overridden), and `out:<channel>` for a case referred to another channel. Reports
    that came with their matter (API clients, staff) and automatic dispatches teach nothing."""
    automatic = exists().where(
        and_(
            CaseEvent.case_id == Case.id,
            CaseEvent.action == str(CaseAction.accept),
            CaseEvent.data["auto"].as_boolean().is_(True),
        )
    )
    rows = session.execute(
        select(Report.description, Case.matter_code, Case.status, Case.channel_code)
        .join(Case, Case.id == Report.case_id)
        .where(
            Report.description != "",
            Report.matter_code.is_(None),
            Report.is_supporter.is_(False),
            ~automatic,
        )
        .order_by(Report.id)
    ).all()
    out: list[tuple[str, str]] = []
    for text, matter, status, channel in rows:
        if status == CaseStatus.referred and channel:
            out.append((text, clf.OUT_OF_REMIT + channel))
        elif matter and status not in (CaseStatus.void, CaseStatus.merged):
            out.append((text, matter))
    return out


def training_samples(session: Session) -> tuple[list[tuple[str, str]], int]:
    """The seed corpus, the labelled corpus, and the clerks' decisions (how many is the
    second value)."""
    samples = packaged_samples()
    decisions = clerk_decisions(session)
    return samples + decisions, len(decisions)


def fit_in_child(
    samples: Sequence[tuple[str, str]],
    target: float | None = None,
    max_out_of_remit: float = 1.0,
) -> bytes:
    """Train on (text, label) pairs in `python -m urbanops.reports.training` and return the
    model's bytes, so that scikit-learn is never imported into this process. With `target`,
    the model's gate is chosen on the evaluation set for that precision (and at most
    `max_out_of_remit` of its out-of-remit messages dispatched)."""
    clf.validated_samples(samples)  # refused here, with the domain error, not in the child
    job = {"samples": samples, "target": target, "max_out_of_remit": max_out_of_remit}
    cached = model_cache.path_for(job)
    if (blob := model_cache.read(cached)) is not None:
        return blob
    result = subprocess.run(
        [sys.executable, "-m", "urbanops.reports.training"],
        input=json.dumps(job, ensure_ascii=False).encode(),
        capture_output=True,
        check=False,
        timeout=3600,
    )
    if result.returncode != 0:
        tail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"classifier training failed ({result.returncode}): {tail[0]}")
    clf.TextClassifier.from_bytes(result.stdout)  # refuse to store what cannot be served
    model_cache.write(cached, result.stdout)
    return result.stdout


#: How much worse than the active model a new one may measure on the evaluation set (share of
#: in-remit messages dispatched automatically, top-1) and still be published: the figures move
#: by a message or two between trainings on the same data.
TOLERANCE = 0.02


def _measured(model: clf.TextClassifier) -> dict[str, float]:
    gate = model.gate
    return dict(gate.measured, target=gate.target) if gate is not None else {}


def worse_than(new: clf.TextClassifier, old: clf.TextClassifier) -> str | None:
    """Why `new` must not replace `old`, or None: it has no gate where the old one had one,
    or, for the same target precision, it dispatches fewer in-remit messages automatically or
    ranks the right matter first less often on the evaluation set."""
    before, after = _measured(old), _measured(new)
    if before and not after:
        return "no gate reaches the target precision"
    if not before or before.get("target") != after.get("target"):
        return None
    for figure in ("auto_rate", "top1"):
        if after.get(figure, 0.0) < before.get(figure, 0.0) - TOLERANCE:
            return f"{figure} {after.get(figure, 0.0):.3f} < {before.get(figure, 0.0):.3f}"
    return None


@dataclass(frozen=True)
class Training:
    """The outcome of `train_and_store`: the stored row, and why it was not published."""

    row: ClassifierModel
    refused: str | None = None


def train_and_store(session: Session, now: datetime, *, force: bool = False) -> Training:
    """Train (in a child process) and store the model; activate it unless it does worse on the
    evaluation set than the active one (then it is kept inactive and the refusal logged), or
    `force`."""
    samples, decisions = training_samples(session)
    intake = get_settings().intake
    blob = fit_in_child(
        samples, intake.auto_dispatch_precision, intake.auto_dispatch_max_out_of_remit
    )
    new = clf.TextClassifier.from_bytes(blob)
    active = active_model(session, fresh=True)
    refused = None if force or active is None else worse_than(new, active)
    if refused is None:
        session.execute(update(ClassifierModel).values(is_active=False))
        forget_model()
    else:
        log.warning("new classifier model not published: %s", refused)
    row = ClassifierModel(
        created_at=now,
        samples=len(samples),
        corrections=decisions,
        metrics={"format": clf.FORMAT_VERSION, **_measured(new), "refused": refused},
        blob=blob,
        is_active=refused is None,
    )
    session.add(row)
    session.flush()
    return Training(row, refused)


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
    train_and_store(session, now, force=True)
    return True
