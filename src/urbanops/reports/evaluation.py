"""Labelled messages, and how well a model and its dispatch gate do on them.

A labelled file is a CSV with the columns `id,text,in_remit,codes` (and optionally `channel`):
`in_remit` 1 or 0, `codes` the right matters, space-separated, best first, empty when out of
remit; `channel` the other channel an out-of-remit message belongs to. The project keeps its
training corpus (`data/classifier/corpus/`) and its evaluation set
(`data/classifier/evaluation*.csv`) in this form; `urbanops classifier evaluate --file` reads any
such file. Pure: no database, no scikit-learn.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from urbanops.core.errors import InvalidInput
from urbanops.reports.classifier import (
    OUT_OF_REMIT,
    Assessment,
    Gate,
    TextClassifier,
    load_seed_corpus,
)

REQUIRED_COLUMNS = ("id", "text", "in_remit", "codes")


@dataclass(frozen=True)
class Labelled:
    """One labelled message."""

    id: str
    text: str
    in_remit: bool
    codes: tuple[str, ...]
    channel: str | None = None

    @property
    def label(self) -> str:
        """The class a model learns for it: the main matter, or `out:<channel>`."""
        if self.in_remit:
            return self.codes[0]
        return OUT_OF_REMIT + (self.channel or "other")


def _bad(row: int, zh: str, en: str) -> InvalidInput:
    return InvalidInput(
        f"第 {row} 行：{zh}", code="labelled_file_invalid", message_en=f"row {row}: {en}"
    )


def parse_labelled(text: str, *, require_channel: bool = False) -> list[Labelled]:
    """The rows of a labelled CSV; a clear error naming the row for anything malformed."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(
            f"标注文件缺少列：{', '.join(missing)}（需要 id,text,in_remit,codes）",
            code="labelled_file_invalid",
            message_en=f"labelled file lacks columns {', '.join(missing)} (id,text,in_remit,codes)",
        )
    rows: list[Labelled] = []
    seen: set[str] = set()
    for number, row in enumerate(reader, start=2):
        ident, body = (row.get("id") or "").strip(), (row.get("text") or "").strip()
        flag, codes = (row.get("in_remit") or "").strip(), (row.get("codes") or "").split()
        channel = (row.get("channel") or "").strip() or None
        if not ident or ident in seen:
            raise _bad(number, f"id 为空或重复：{ident!r}", f"empty or repeated id {ident!r}")
        if flag not in ("0", "1"):
            raise _bad(number, "in_remit 须为 0 或 1", "in_remit must be 0 or 1")
        if flag == "1" and not codes:
            raise _bad(number, "城管事项须给出 codes", "an in-remit row needs codes")
        if flag == "0" and codes:
            raise _bad(number, "非城管事项的 codes 须为空", "an out-of-remit row has no codes")
        if any(not (c.isdigit() and len(c) == 5) for c in codes):
            raise _bad(number, "codes 须为 5 位事项编码", "codes must be 5-digit matter codes")
        if require_channel and flag == "0" and channel is None:
            raise _bad(number, "非城管事项须给出 channel", "an out-of-remit row needs a channel")
        seen.add(ident)
        rows.append(Labelled(ident, body, flag == "1", tuple(codes), channel))
    if not rows:
        raise InvalidInput(
            "标注文件没有数据行", code="labelled_file_invalid", message_en="no rows in the file"
        )
    return rows


def read_labelled(path: Path) -> list[Labelled]:
    """`parse_labelled` of a file (UTF-8, with or without a byte-order mark)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"无法读取标注文件 {path}：{exc}",
            code="labelled_file_invalid",
            message_en=f"cannot read labelled file {path}: {exc}",
        ) from exc
    return parse_labelled(text)


def _package_files(folder: str, prefix: str) -> list[Labelled]:
    """The rows of the package's `data/<folder>/<prefix>*.csv` files, in name order."""
    root = resources.files("urbanops").joinpath("data", *folder.split("/"))
    rows: list[Labelled] = []
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if entry.name.startswith(prefix) and entry.name.endswith(".csv"):
            rows += parse_labelled(entry.read_text(encoding="utf-8"), require_channel=True)
    return rows


def evaluation_set() -> list[Labelled]:
    """The project's own evaluation set (`evaluation*.csv`, by several writers): written apart
    from the training corpus and never trained on; the dispatch gate is chosen on it."""
    return _package_files("classifier", "evaluation")


def training_corpus() -> list[Labelled]:
    """The labelled training messages shipped with the package (`corpus/*.csv`)."""
    return _package_files("classifier/corpus", "")


def packaged_samples() -> list[tuple[str, str]]:
    """(text, label) pairs of everything the package trains on: the seed corpus and the
    labelled corpus (the clerks' decisions come on top, from the database)."""
    return load_seed_corpus() + [(row.text, row.label) for row in training_corpus()]


# --- scores ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """How a model and gate did on labelled rows (see `urbanops classifier evaluate`)."""

    n: int
    in_remit: int
    top1: float  # in-remit rows whose top matter is one of their codes
    top3: float  # … one of the top three
    auto_rate: float  # in-remit rows dispatched automatically
    auto_precision: float  # automatic dispatches in remit with a right matter (1.0 when none)
    out_of_remit_auto: float  # out-of-remit rows dispatched automatically
    auto: int  # automatic dispatches

    def line(self) -> str:
        return (
            f"classifier: n={self.n} in_remit={self.in_remit} top1={self.top1:.3f} "
            f"top3={self.top3:.3f} auto_rate={self.auto_rate:.3f} "
            f"auto_precision={self.auto_precision:.3f} "
            f"out_of_remit_auto={self.out_of_remit_auto:.3f}"
        )


def assess_all(model: TextClassifier, rows: Iterable[Labelled]) -> list[Assessment | None]:
    return [model.assess(row.text, k=3) for row in rows]


def score(
    rows: Sequence[Labelled], assessments: Sequence[Assessment | None], gate: Gate | None
) -> Scores:
    """Scores of precomputed assessments under `gate` (no gate: nothing is automatic)."""
    inside = [(r, a) for r, a in zip(rows, assessments, strict=True) if r.in_remit]
    outside = [(r, a) for r, a in zip(rows, assessments, strict=True) if not r.in_remit]
    top1 = top3 = auto_in = auto_out = right = 0
    for row, a in inside:
        codes = [m.matter_code for m in a.matters] if a else []
        top1 += bool(codes) and codes[0] in row.codes
        top3 += any(c in row.codes for c in codes[:3])
        if a and gate and gate.admits(a):
            auto_in += 1
            right += codes[0] in row.codes
    for _, a in outside:
        auto_out += bool(a and gate and gate.admits(a))
    auto = auto_in + auto_out
    return Scores(
        n=len(rows),
        in_remit=len(inside),
        top1=top1 / len(inside) if inside else 0.0,
        top3=top3 / len(inside) if inside else 0.0,
        auto_rate=auto_in / len(inside) if inside else 0.0,
        auto_precision=right / auto if auto else 1.0,
        out_of_remit_auto=auto_out / len(outside) if outside else 0.0,
        auto=auto,
    )


def evaluate(model: TextClassifier, rows: Sequence[Labelled], gate: Gate | None = None) -> Scores:
    """Scores of `model` on `rows` under `gate` (default: the model's own)."""
    return score(rows, assess_all(model, rows), gate if gate is not None else model.gate)
