"""Photo storage port and its local-directory adapter (files under `URBANOPS_HOME/media`).

A deployment with object storage implements the same methods against its
S3-compatible bucket and serves `url()` from there.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from urbanops.core.settings import get_settings

KEY = re.compile(r"^[a-z0-9]{32}(_t)?\.(jpg|webp)$")


class PhotoStore(Protocol):
    def put(self, key: str, data: bytes) -> None: ...
    def path(self, key: str) -> Path | None: ...
    def url(self, key: str) -> str: ...
    def delete(self, key: str) -> None: ...


class LocalStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        # write-then-rename: a reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".up-")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, self.root / key)

    def path(self, key: str) -> Path | None:
        if not KEY.match(key):
            return None
        p = self.root / key
        return p if p.is_file() else None

    def url(self, key: str) -> str:
        return f"/media/{key}"

    def delete(self, key: str) -> None:
        if KEY.match(key):
            (self.root / key).unlink(missing_ok=True)


def photo_store() -> PhotoStore:
    return LocalStore(get_settings().media_dir)
