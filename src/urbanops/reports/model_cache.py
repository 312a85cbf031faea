"""Trained models kept by what they were trained from, so the same training is not run twice.

Training is deterministic (fixed seeds): its result depends only on the job (samples, target
precision, out-of-remit limit), the training code and data shipped in this package (the
`urbanops.reports` modules, the evaluation sets and corpus under `urbanops/data/classifier`) and
the versions of the libraries it runs on. The key is a SHA-256 of all of them, so a change to
any one misses the cache. A file is used only when it loads as a model; one that does not (cut
short, another format) is trained again and replaced. Writing goes through a temporary file
and a rename, so a reader never sees half a model; a cache that cannot be written costs only
the time of the next training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from functools import lru_cache
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from urbanops.core.settings import get_settings
from urbanops.reports import classifier as clf

log = logging.getLogger(__name__)

_LIBRARIES = ("scikit-learn", "numpy", "scipy", "jieba")


@lru_cache(maxsize=1)
def _code_and_data_digest() -> str:
    digest = hashlib.sha256()
    package = Path(str(resources.files("urbanops")))
    for folder in (package / "reports", package / "data" / "classifier"):
        for path in sorted(_files(folder)):
            digest.update(str(path.relative_to(package)).encode())
            digest.update(path.read_bytes())
    for name in _LIBRARIES:
        digest.update(f"{name}=={metadata.version(name)}".encode())
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def path_for(job: dict[str, Any]) -> Path:
    digest = hashlib.sha256(_code_and_data_digest().encode())
    digest.update(json.dumps(job, ensure_ascii=False, sort_keys=True).encode())
    return get_settings().cache_dir / "classifier" / f"{digest.hexdigest()}.model"


def read(path: Path) -> bytes | None:
    """The cached model's bytes, or None when there is none this code can load."""
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    try:
        clf.TextClassifier.from_bytes(blob)
    except Exception as exc:  # a damaged or foreign file is trained again, never served
        log.warning("cached classifier %s not usable (%s): training again", path.name, exc)
        return None
    return blob


def write(path: Path, blob: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(blob)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("classifier cache not written (%s)", exc)
