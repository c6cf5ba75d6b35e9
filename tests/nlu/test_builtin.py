from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nlu.builtin import FALLBACK, REPORT_DISPUTE, BuiltinNlu, cache_path, training
from nlu.builtin.decision import LabelSpace, Thresholds, decide
from nlu.builtin.training import TrainConfig, make_pipeline, train_model
from nlu.training_data import data_fingerprint, iter_labelled, load_training_data
from nlu.types import CATEGORIES, ParseResult

FIXTURE = Path(__file__).parent / "fixtures" / "data"
REAL_DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"


@pytest.fixture(scope="module")
def nlu() -> BuiltinNlu:
    return BuiltinNlu.train(FIXTURE)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(FIXTURE, target)
    return target


def test_cache_is_reused_when_data_unchanged(data_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = BuiltinNlu.load(data_dir, cache)
    assert not first.loaded_from_cache
    path = cache_path(cache, data_fingerprint(data_dir))
    assert path.is_file()
    mtime = path.stat().st_mtime_ns

    second = BuiltinNlu.load(data_dir, cache)
    assert second.loaded_from_cache
    assert second.fingerprint == first.fingerprint
    assert second.report["trained_at"] == first.report["trained_at"]
    assert path.stat().st_mtime_ns == mtime
    assert second.classify("老板欠我工资不给").category.name == "labour"


def test_cache_is_retrained_when_a_file_changes(data_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = BuiltinNlu.load(data_dir, cache)
    old_path = cache_path(cache, first.fingerprint)
    with (data_dir / "intents.yml").open("a", encoding="utf-8") as fh:
        fh.write("    - 你们下班了吗\n")

    retrained = BuiltinNlu.load(data_dir, cache)
    assert not retrained.loaded_from_cache
    assert retrained.fingerprint != first.fingerprint
    assert retrained.report["n_examples"] == first.report["n_examples"] + 1
    assert cache_path(cache, retrained.fingerprint).is_file()
    assert not old_path.exists()  # superseded cache files are removed
    assert BuiltinNlu.load(data_dir, cache).loaded_from_cache


def test_unreadable_cache_is_retrained(data_dir: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    cache_path(cache, data_fingerprint(data_dir)).write_bytes(b"not a joblib file")
    nlu = BuiltinNlu.load(data_dir, cache)
    assert not nlu.loaded_from_cache
    assert BuiltinNlu.load(data_dir, cache).loaded_from_cache


@pytest.mark.parametrize(
    "text",
    [
        "你好",
        "您好啊",
        "在不在",
        "谢谢",
        "再见",
        "嗯嗯",
        "好的",
        "今天天气怎么样",
        "给我讲个故事吧",
        "1",
        "2",
        "👍",
        "??",
        "",
        "   ",
        "离婚",
        "欠钱",
        "ok",
        "asdfgh qwerty",
    ],
)
def test_greetings_chitchat_and_short_inputs_are_not_disputes(nlu: BuiltinNlu, text: str) -> None:
    result = nlu.parse_sync(text)
    assert result.intent.name != REPORT_DISPUTE
    assert result.category.name == "other"
    assert result.category.confidence == 0.0
    assert len(result.category_ranking) == 5  # the dialogue can still offer a menu


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好 在吗", "greet"),
        ("谢谢你们", "thanks"),
        ("我的调解进度怎么样了", "check_status"),
        ("明天天气好不好", "out_of_scope"),
        ("拜拜", "goodbye"),
    ],
)
def test_dialogue_intents(nlu: BuiltinNlu, text: str, intent: str) -> None:
    assert nlu.classify(text).intent.name == intent


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("厂里老板三个月没发工资了", "labour"),
        ("楼上邻居每天晚上吵得我们没法睡觉", "neighbour"),
        ("我骑摩托车被一辆面包车撞倒了 司机不肯赔", "traffic_accident"),
        ("老公要跟我离婚 孩子归谁", "family_marriage"),
        ("他借了我两万块钱一直不还", "debt_contract"),
    ],
)
def test_clear_disputes_get_their_category(nlu: BuiltinNlu, text: str, category: str) -> None:
    result = nlu.parse_sync(text)
    assert result.intent.name == REPORT_DISPUTE
    assert result.category.name == category
    assert result.category.confidence >= 0.5
    assert result.category_ranking[0] == result.category
    assert sum(r.confidence for r in result.category_ranking) <= 1.0 + 1e-3


def test_ranking_still_points_at_the_topic_of_a_short_message(nlu: BuiltinNlu) -> None:
    result = nlu.parse_sync("离婚")
    assert result.intent.name != REPORT_DISPUTE
    assert result.category_ranking[0].name == "family_marriage"


async def test_async_parse_matches_the_protocol(nlu: BuiltinNlu) -> None:
    result = await nlu.parse("包工头跑了 工钱没拿到")
    assert isinstance(result, ParseResult)
    assert result.backend == nlu.name == "builtin"
    assert result.to_dict()["category"]["name"] == "labour"
    assert all(r.name in CATEGORIES for r in result.category_ranking)


def test_decision_rule_thresholds_and_mass() -> None:
    space = LabelSpace(["dispute_labour", "dispute_neighbour", "greet", "out_of_scope"])
    # Disputes split 0.3/0.3 still beat greet at 0.4: report_dispute has 0.6.
    split = decide(space, np.array([0.3, 0.3, 0.4, 0.0]), short=False, thresholds=Thresholds(0.5))
    assert split.intent.name == REPORT_DISPUTE and split.intent.confidence == 0.6
    assert split.category.confidence == 0.5
    # The same probabilities in a very short message: disputes excluded, greet renormalised.
    short = decide(space, np.array([0.3, 0.3, 0.4, 0.0]), short=True, thresholds=Thresholds(0.5))
    assert short.intent.name == "greet" and short.intent.confidence == 1.0
    unsure = decide(
        space, np.array([0.2, 0.2, 0.35, 0.25]), short=False, thresholds=Thresholds(0.5)
    )
    assert unsure.intent.name == FALLBACK and unsure.category.name == "other"
    assert [r.name for r in unsure.ranking] == ["labour", "neighbour"]


def test_exported_scorer_reproduces_sklearn(monkeypatch: pytest.MonkeyPatch) -> None:
    data = load_training_data(FIXTURE)
    model = train_model(data)
    pairs = list(iter_labelled(data))
    labels = list(model.scorer.labels)
    pipeline = make_pipeline(TrainConfig()).fit(
        [t for t, _ in pairs], [labels.index(i) for _, i in pairs]
    )
    texts = [t for t, _ in pairs[::7]] + ["完全没见过的句子", ""]
    expected = pipeline.decision_function(texts)
    got = np.array([model.scorer.decision_function(t) for t in texts])
    np.testing.assert_allclose(got, expected, atol=1e-8)

    export = training.export_scorer

    def broken_export(*args: Any) -> Any:
        scorer = export(*args)
        scorer.intercept = scorer.intercept + 0.01
        return scorer

    monkeypatch.setattr(training, "export_scorer", broken_export)
    with pytest.raises(RuntimeError, match="disagrees"):
        train_model(data)


def test_report_documents_calibration(nlu: BuiltinNlu) -> None:
    report = nlu.report
    assert report["cv_folds"] == 5
    assert 0.0 <= report["thresholds"]["intent"] <= 0.95
    assert report["temperature"] > 0
    assert report["fingerprint"] == data_fingerprint(FIXTURE)


def test_parse_adds_normalised_entities_and_risk(nlu: BuiltinNlu) -> None:
    result = nlu.parse_sync("他欠我两万 我要砍死他")
    assert result.entity_values("amount") == [20000]
    assert result.risk.level == "high"


def test_real_training_data_trains_and_caches(tmp_path: Path) -> None:
    """The one test on the project's own data: it must load, train and make sense."""
    nlu = BuiltinNlu.load(REAL_DATA, tmp_path)
    assert nlu.report["cv_macro_f1"] >= 0.8
    assert BuiltinNlu.load(REAL_DATA, tmp_path).loaded_from_cache
    assert nlu.classify("老板拖着工资不发 已经半年了").category.name == "labour"
    for text in ("你好", "谢谢", "1"):
        assert nlu.classify(text).intent.name != REPORT_DISPUTE
