"""Trained models are kept by what they were trained from: the same job is served from the
cache without a child process, another job or a damaged file trains again."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from urbanops.core.settings import get_settings
from urbanops.reports import model_cache, suggest
from urbanops.reports.classifier import TextClassifier

SAMPLES = [
    (text, code)
    for code, texts in {
        "01037": ["路灯不亮了", "路灯坏了好几天", "这条路的路灯晚上不亮", "小区门口路灯闪烁"],
        "06042": ["有人占道摆摊卖水果", "路边流动摊贩很多", "天桥下有人摆卖", "人行道上摆地摊"],
        "08016": ["楼顶在违章加建", "有人私搭乱建铁皮房", "违法建设没有人管", "在空地上盖房子"],
    }.items()
    for text in texts
]


@pytest.fixture
def children(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The cache in a temporary directory, and the child processes started, counted."""
    monkeypatch.setattr(get_settings(), "cache_dir", tmp_path)
    started: list[Any] = []
    real = subprocess.run

    def counted(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(subprocess, "run", counted)
    return started


def test_the_same_training_is_served_from_the_cache(children: list[Any]) -> None:
    first = suggest.fit_in_child(SAMPLES)
    assert len(children) == 1
    again = suggest.fit_in_child(SAMPLES)
    assert again == first and len(children) == 1
    other = suggest.fit_in_child([*SAMPLES, ("井盖丢了", "01037")])
    assert len(children) == 2
    assert TextClassifier.from_bytes(other).trained_at_samples == len(SAMPLES) + 1


def test_a_damaged_cache_file_is_trained_again_and_replaced(children: list[Any]) -> None:
    job = {"samples": SAMPLES, "target": None, "max_out_of_remit": 1.0}
    path = model_cache.path_for(job)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    blob = suggest.fit_in_child(SAMPLES)
    assert len(children) == 1
    assert path.read_bytes() == blob
    assert not [p for p in path.parent.iterdir() if p.name.startswith(".tmp-")]
