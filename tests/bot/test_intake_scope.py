"""Whether a dispute crosses village or town lines, from the places its account names."""

from __future__ import annotations

from pathlib import Path

import pytest

from backend.org_network import load_network
from backend.records import PlaceRecord
from bot.handlers.intake.scope import MENTIONS_KEY, dispute_scope, place_mentions
from bot.places import PlaceDirectory
from nlu.entities import extract_entities
from nlu.types import ParseResult, Ranked

ORGS = Path(__file__).resolve().parents[2] / "config" / "organizations.yaml"


@pytest.fixture(scope="module")
def places() -> PlaceDirectory:
    network = load_network(ORGS)
    records = [
        PlaceRecord(t.code, t.name, t.name_en, "town", None, t.aliases) for t in network.towns
    ]
    records += [
        PlaceRecord(v.code, v.name, v.name_en, "village", v.town_code, v.aliases)
        for v in network.villages
    ]
    return PlaceDirectory(records)


def _parsed(text: str, places: PlaceDirectory) -> ParseResult:
    entities = tuple(extract_entities(text, gazetteer=places.gazetteer))
    return ParseResult(Ranked("report_dispute", 1.0), Ranked("land", 1.0), entities=entities)


@pytest.mark.parametrize(
    ("account", "town", "village", "scope"),
    [
        ("隔壁邻居天天半夜装修", "fengqiao", "fengqiao.chenjia", "village"),
        ("我是枫桥镇陈家村的，邻居占了我家的地", "fengqiao", "fengqiao.chenjia", "village"),
        ("陈家村和枫源村为了水渠的事吵起来了", "fengqiao", "fengqiao.chenjia", "cross_village"),
        ("店口镇的厂老板欠我们工资", "fengqiao", "fengqiao.chenjia", "cross_town"),
        ("陈家村的鱼塘被湖东村的厂污染了", "fengqiao", "fengqiao.chenjia", "cross_town"),
        # 新村 is a village of 枫桥, 陶朱 and 店口: another village, perhaps of our own town.
        ("新村有人把垃圾倒在我家门口", "fengqiao", "fengqiao.chenjia", "cross_village"),
        ("新村有人把垃圾倒在我家门口", "diankou", "diankou.hudong", "cross_village"),
        ("新村有人把垃圾倒在我家门口", "ciwu", "ciwu.xibu", "cross_town"),
        ("新村有人把垃圾倒在我家门口", "taozhu", "taozhu.xincun", "village"),
        # Only the town chosen: another village of it may be the resident's own.
        ("枫源村的人占了我的地", "fengqiao", None, "village"),
        ("次坞镇的人占了我的地", "fengqiao", None, "cross_town"),
        # The place unknown: nothing to compare with.
        ("店口镇的厂老板欠我们工资", None, None, None),
    ],
)
def test_scope_of_an_account(
    places: PlaceDirectory, account: str, town: str | None, village: str | None, scope: str | None
) -> None:
    draft = {
        "town_code": town,
        "village_code": village,
        MENTIONS_KEY: place_mentions(_parsed(account, places), places),
    }
    assert dispute_scope(draft) == scope


def test_mentions_keep_the_alternatives_of_one_name_together(places: PlaceDirectory) -> None:
    mentions = place_mentions(_parsed("新村和枫源村", places), places)
    assert len(mentions) == 2
    assert sorted(town for _, town in mentions[0]) == ["diankou", "fengqiao", "taozhu"]
    assert mentions[1] == [["fengqiao.fengyuan", "fengqiao"]]


def test_a_draft_without_mentions_stays_in_its_village() -> None:
    assert dispute_scope({"town_code": "fengqiao", "village_code": "fengqiao.xincun"}) == "village"
    assert dispute_scope({}) is None
