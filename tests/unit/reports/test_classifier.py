"""Report text classifier: corpus sanity, accuracy, routing of typical reports, serialisation.

The served model is plain arrays exported from scikit-learn (`urbanops.reports.training`); these
tests train with scikit-learn and check that the export gives the pipeline's own probabilities.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

import urbanops
from urbanops.core.errors import InvalidInput
from urbanops.reports import classifier, training
from urbanops.reports.classifier import (
    IncompatibleModel,
    Suggestion,
    TextClassifier,
    load_seed_corpus,
    normalise,
    top_k_accuracy,
)
from urbanops.reports.training import train

PROBE = Path(__file__).parents[2] / "data" / "classifier_probe.csv"
MATTERS = Path(urbanops.__file__).parent / "data" / "catalogue" / "matters.csv"


def _read(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [(row["text"], row["matter_code"]) for row in csv.DictReader(handle)]


@pytest.fixture(scope="module")
def seed() -> list[tuple[str, str]]:
    return load_seed_corpus()


@pytest.fixture(scope="module")
def probe() -> list[tuple[str, str]]:
    return _read(PROBE)


@pytest.fixture(scope="module")
def model(seed: list[tuple[str, str]]) -> TextClassifier:
    return train(seed)


# --- the corpus ----------------------------------------------------------------------------------


def test_seed_corpus_uses_catalogue_codes_and_covers_common_matters(
    seed: list[tuple[str, str]],
) -> None:
    with MATTERS.open(encoding="utf-8") as handle:
        catalogue = {row["code"] for row in csv.DictReader(handle)}
    counts = Counter(code for _, code in seed)
    assert set(counts) <= catalogue
    assert sum(1 for n in counts.values() if n >= 30) >= 45
    assert all(text.strip() for text, _ in seed)


def test_seed_corpus_has_no_duplicates_and_no_probe_lines(
    seed: list[tuple[str, str]], probe: list[tuple[str, str]]
) -> None:
    seed_texts = Counter(normalise(text) for text, _ in seed)
    assert [t for t, n in seed_texts.items() if n > 1] == []
    assert [t for t, _ in probe if normalise(t) in seed_texts] == []


def test_probe_set_uses_only_matters_the_seed_knows(
    seed: list[tuple[str, str]], probe: list[tuple[str, str]]
) -> None:
    assert len(probe) >= 150
    assert {code for _, code in probe} <= {code for _, code in seed}


# --- accuracy ------------------------------------------------------------------------------------


def test_probe_set_written_apart_from_the_seed(
    model: TextClassifier, probe: list[tuple[str, str]]
) -> None:
    top1, top3 = top_k_accuracy(model, probe)  # measured: top-1 0.982, top-3 1.000
    assert top1 >= 0.93
    assert top3 >= 0.97


@pytest.mark.parametrize(
    ("text", "matter_code"),
    [
        ("晚上十一点还在施工，吵死了", "08001"),
        ("井盖冇咗，好危险", "01023"),
        ("路灯坏了一个星期", "01037"),
        ("有人在人行道上摆摊卖水果", "09006"),
        ("路灯不亮了 bad", "01037"),
        ("垃级堆在路口没人收，臭死了🤮", "06010"),
        ("呢度个垃圾桶满晒，啲垃圾跌晒落地", "06042"),
        ("楼下餐馆的油烟熏到我家", "06027"),
        ("有台车停喺消防通道度成晚", "09012"),
        ("共享单车堆满了地铁口", "09011"),
        ("小区的电动车乱停，挡住了路", "09010"),
        ("工地没有洒水，灰尘很大", "08004"),
        ("电线杆上贴满了办证小广告", "07001"),
        ("河涌的水又黑又臭", "06026"),
    ],
)
def test_typical_reports_route_to_their_matter(
    model: TextClassifier, text: str, matter_code: str
) -> None:
    assert model.suggest(text, k=1)[0].matter_code == matter_code


# --- suggestions ---------------------------------------------------------------------------------


def test_suggestions_are_sorted_probabilities(model: TextClassifier) -> None:
    for text in ["路边有人烧垃圾", "井盖烂了", "有人在河边砍树", "x"]:
        suggestions = model.suggest(text, k=5)
        assert len(suggestions) == 5
        confidences = [s.confidence for s in suggestions]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0.0 <= c <= 1.0 for c in confidences)
        assert sum(confidences) <= 1.0 + 1e-9
        assert all(
            isinstance(s, Suggestion) and s.matter_code in model.classes for s in suggestions
        )


def test_k_is_capped_by_the_number_of_classes_and_must_be_positive(model: TextClassifier) -> None:
    everything = model.suggest("路灯不亮", k=1000)
    assert len(everything) == len(model.classes)
    assert sum(s.confidence for s in everything) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="k"):
        model.suggest("路灯不亮", k=0)


def test_text_without_known_features_gives_no_suggestion(model: TextClassifier) -> None:
    assert model.suggest("") == []
    assert model.suggest("  ！！？？ 🤮🤮 ") == []


# --- training input ------------------------------------------------------------------------------


def test_fewer_than_two_matters_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        train([("路灯不亮", "01037"), ("路灯坏了", "01037")])
    assert info.value.code == "classifier_too_few_classes"
    with pytest.raises(InvalidInput):
        train([])


def test_malformed_samples_are_refused() -> None:
    with pytest.raises(InvalidInput) as info:
        train([("路灯不亮", "01037"), ("井盖烂了", "")])
    assert info.value.code == "classifier_bad_sample"


def test_two_matters_make_a_working_binary_model() -> None:
    samples = [
        ("路灯不亮", "01037"),
        ("路灯坏了好几天", "01037"),
        ("井盖不见了", "01023"),
        ("井盖松动响", "01023"),
    ]
    binary = train(samples)
    assert binary.classes == ("01023", "01037")
    assert binary.trained_at_samples == 4
    suggestions = binary.suggest("这条路的路灯不亮")
    assert [s.matter_code for s in suggestions] == ["01037", "01023"]
    assert sum(s.confidence for s in suggestions) == pytest.approx(1.0)
    probabilities = binary.probabilities("井盖")
    assert probabilities is not None
    pipeline = training.fit(samples)
    np.testing.assert_allclose(probabilities, pipeline.predict_proba(["井盖"])[0], atol=1e-12)


# --- serialisation -------------------------------------------------------------------------------


def test_round_trip_gives_identical_probabilities(
    model: TextClassifier, probe: list[tuple[str, str]]
) -> None:
    restored = TextClassifier.from_bytes(model.to_bytes())
    assert restored.classes == model.classes
    assert restored.trained_at_samples == model.trained_at_samples
    assert restored.info["sklearn"] == model.info["sklearn"]
    for text, _ in probe[:30]:
        before, after = model.probabilities(text), restored.probabilities(text)
        assert before is not None and after is not None
        assert np.array_equal(before, after)
        assert restored.suggest(text, k=3) == model.suggest(text, k=3)


def _with_header(data: bytes, **changes: object) -> bytes:
    magic_end = data.index(b"\n") + 1
    header_end = data.index(b"\n", magic_end)
    header = json.loads(data[magic_end:header_end])
    header.update(changes)
    return data[:magic_end] + json.dumps(header).encode() + data[header_end:]


def test_other_formats_and_damaged_bytes_are_refused(model: TextClassifier) -> None:
    data = model.to_bytes()
    with pytest.raises(IncompatibleModel, match="format"):
        TextClassifier.from_bytes(_with_header(data, format=classifier.FORMAT_VERSION + 1))
    # what the previous version stored: format 1, a pickled scikit-learn pipeline
    old = classifier._MAGIC + b'{"format": 1, "sklearn": "1.5.2"}\n\x80\x05pickle'
    with pytest.raises(IncompatibleModel, match="format 1 is not supported"):
        TextClassifier.from_bytes(old)
    with pytest.raises(IncompatibleModel, match="damaged"):
        TextClassifier.from_bytes(data[: len(data) // 2])
    with pytest.raises(IncompatibleModel):
        TextClassifier.from_bytes(b"not a model")


def test_a_model_whose_arrays_do_not_fit_is_refused(model: TextClassifier) -> None:
    with pytest.raises(IncompatibleModel, match="do not fit"):
        TextClassifier(
            vectorisers=model.vectorisers,
            weights=model.weights[:-1],
            intercept=model.intercept,
            classes=model.classes,
            trained_at_samples=1,
        )


# --- normalisation -------------------------------------------------------------------------------


def test_normalise() -> None:
    assert normalise("  ＡＢＣ　路灯！！！不亮😡😡 \n bad ") == "abc 路灯 不亮 bad"
    assert normalise("井盖冇咗，喺度好危险") == "井盖没有了 在这里好危险"
    assert normalise("垃级成日冇人执") == "垃圾经常没有人执"
    assert normalise("晚上11点、12点") == "晚上0点 0点"
    assert normalise("🤮🤮!!") == ""
