"""Paths of the data files shipped with the package (see `data/PROVENANCE.md`)."""

from __future__ import annotations

import csv
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def read_csv(relative: str) -> list[dict[str, str]]:
    with (DATA_DIR / relative).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))
