"""Place matching against a small test gazetteer, and the index's speed at 10,000 places."""

from __future__ import annotations

import pytest

from nlu.gazetteer import Gazetteer
from nlu.types import GazetteerEntry


def town(code: str, name: str, *aliases: str) -> GazetteerEntry:
    return GazetteerEntry(code, name, "town", None, aliases)


def village(code: str, name: str, *aliases: str) -> GazetteerEntry:
    return GazetteerEntry(code, name, "village", code.split(".")[0], aliases)


ENTRIES = [
    town("fengqiao", "枫桥镇", "枫桥"),
    town("diankou", "店口镇"),
    town("jiyang", "暨阳街道", "暨阳"),
    town("datang", "大唐街道"),
    village("fengqiao.wangjia", "王家村"),
    village("fengqiao.chenjia", "陈家村", "陈家"),
    village("fengqiao.fengyuan", "枫源村"),
    village("fengqiao.xincun", "新村"),
    village("diankou.wangjia", "王家村"),
    village("diankou.wangjiafan", "王家畈村"),
    village("diankou.dongbaihu", "东白湖村"),
    village("jiyang.xishi", "西施社区", "西施"),
    village("jiyang.nanmen", "南门社区"),
    village("datang.xincun", "新村"),
    village("datang.miaoqian", "庙前村", "庙前"),
]


@pytest.fixture(scope="module")
def gaz() -> Gazetteer:
    return Gazetteer(ENTRIES)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("枫桥", ["fengqiao"]),
        ("枫桥镇", ["fengqiao"]),
        ("我是枫桥的", ["fengqiao"]),
        ("暨阳", ["jiyang"]),
        ("暨阳街道", ["jiyang"]),
        ("店口", ["diankou"]),
        ("王家", ["diankou.wangjia", "fengqiao.wangjia"]),  # same name in two towns
        ("王家村", ["diankou.wangjia", "fengqiao.wangjia"]),
        ("枫桥镇王家村", ["fengqiao.wangjia", "fengqiao"]),
        ("枫桥 王家", ["fengqiao.wangjia", "fengqiao"]),
        ("店口镇的王家村", ["diankou.wangjia", "diankou"]),
        ("王家畈", ["diankou.wangjiafan"]),
        ("陈家", ["fengqiao.chenjia"]),
        ("西施", ["jiyang.xishi"]),
        ("南门社区", ["jiyang.nanmen"]),
        ("庙前", ["datang.miaoqian"]),
        ("新村", ["datang.xincun", "fengqiao.xincun"]),
        ("大唐新村", ["datang.xincun", "datang"]),
        ("东白", ["diankou.dongbaihu"]),  # partial name
        ("枫乔镇", ["fengqiao"]),  # one-character typo
        ("在枫乔镇那边", ["fengqiao"]),
        ("东白胡村", ["diankou.dongbaihu"]),
        ("枫源村", ["fengqiao.fengyuan"]),
    ],
)
def test_match(gaz: Gazetteer, text: str, expected: list[str]) -> None:
    assert [e.code for e in gaz.match(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "今天天气不错",
        "不知道",
        "李家村",
        "王佳村",
        "枫园村",
        "城里",
        "",
        "  ",
        "枫",
        "你好啊",
        "打官司",
        "李桥镇",
    ],
)
def test_no_match(gaz: Gazetteer, text: str) -> None:
    assert gaz.match(text) == []


def test_villages_before_towns(gaz: Gazetteer) -> None:
    kinds = [e.kind for e in gaz.match("枫桥镇陈家村")]
    assert kinds == ["village", "town"]


def test_find_places_in_message(gaz: Gazetteer) -> None:
    text = "我是枫桥镇陈家村的，邻居在暨阳街道上班"
    found = gaz.find_places(text)
    assert [(e.text, e.value) for e in found] == [
        ("枫桥镇", "fengqiao"),
        ("陈家村", "fengqiao.chenjia"),
        ("暨阳街道", "jiyang"),
    ]
    assert all(text[e.start : e.end] == e.text and e.type == "place" for e in found)


def test_find_places_short_village_names_need_a_town(gaz: Gazetteer) -> None:
    assert gaz.find_places("陈家的儿子把我家的鸡打死了") == []
    assert [e.value for e in gaz.find_places("枫桥陈家的人")] == ["fengqiao", "fengqiao.chenjia"]


def test_find_places_ambiguous_name(gaz: Gazetteer) -> None:
    assert [e.value for e in gaz.find_places("我住新村")] == ["datang.xincun", "fengqiao.xincun"]
    assert [e.value for e in gaz.find_places("大唐街道新村")] == ["datang", "datang.xincun"]


def test_ten_thousand_entries_still_match() -> None:
    """Speed at this size is measured by bench/nlu_bench.py; here, only the answers."""
    syllables = "东南西北上下前后新老大小金银山水石林湖塘桥溪岭坑畈岙张王李赵陈杨吴周徐孙"
    entries = [town(f"t{i}", f"{syllables[i]}{syllables[i + 7]}镇") for i in range(20)]
    n = len(syllables)
    for i in range(10_000):
        name = syllables[i % n] + syllables[(i // n) % n] + syllables[(i // n // n) % n] + "村"
        entries.append(village(f"t{i % 20}.v{i}", name))
    gaz = Gazetteer(entries)
    assert not gaz.match("今天天气不错")
    assert [e.code for e in gaz.match("东南西村")]
