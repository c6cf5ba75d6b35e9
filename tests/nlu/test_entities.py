"""extract_entities: all extractors together, sorted, with overlaps resolved."""

from __future__ import annotations

from datetime import date

import pytest

from nlu.entities import extract_entities
from nlu.gazetteer import Gazetteer
from nlu.types import GazetteerEntry

TODAY = date(2025, 11, 21)
GAZ = Gazetteer(
    [
        GazetteerEntry("fengqiao", "枫桥镇", "town", None, ("枫桥",)),
        GazetteerEntry("fengqiao.chenjia", "陈家村", "village", "fengqiao", ("陈家",)),
        GazetteerEntry("diankou", "店口镇", "town"),
    ]
)


def pairs(text: str) -> list[tuple[str, str, object]]:
    return [(e.type, e.text, e.value) for e in extract_entities(text, gazetteer=GAZ, today=TODAY)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "我是枫桥镇陈家村的，去年5月借给隔壁老王3万块，我电话13812345678",
            [
                ("place", "枫桥镇", "fengqiao"),
                ("place", "陈家村", "fengqiao.chenjia"),
                ("date", "去年5月", "2024-05"),
                ("party_role", "隔壁", "neighbour"),
                ("amount", "3万块", 30000),
                ("phone", "13812345678", "13812345678"),
            ],
        ),
        (
            "老板欠我工资8000多，上个月15号说还，到现在没给",
            [
                ("party_role", "老板", "employer"),
                ("amount", "8000多", 8000),
                ("date", "上个月15号", "2025-10-15"),
            ],
        ),
        (
            "2023年在店口镇厂里干了3个月",
            [
                ("date", "2023年", "2023"),
                ("place", "店口镇", "diankou"),
                ("party_role", "厂里", "employer"),
            ],
        ),
        (
            "枫桥镇政府说赔两千五",
            [
                ("place", "枫桥镇", "fengqiao"),  # place and role may share 镇
                ("party_role", "镇政府", "government"),
                ("amount", "两千五", 2500),
            ],
        ),
        ("座机0575-87654321 钱的事", [("phone", "0575-87654321", "0575-87654321")]),
    ],
)
def test_extract_entities(text: str, expected: list[tuple[str, str, object]]) -> None:
    assert pairs(text) == expected


def test_phone_is_not_also_amount_or_date() -> None:
    found = extract_entities("欠钱的人电话是138-2024-0305", today=TODAY)
    assert [(e.type, e.value) for e in found] == [
        ("party_role", "individual"),
        ("phone", "13820240305"),
    ]


def test_id_number_wins_over_everything() -> None:
    number = "11010519491231002X"
    found = extract_entities(f"身份证{number}借了钱", today=TODAY)
    assert [(e.type, e.value) for e in found] == [("id_number", number)]


def test_sorted_and_offsets_valid() -> None:
    text = "前天隔壁的说要赔我500块，我的电话15868001234，在枫桥"
    found = extract_entities(text, gazetteer=GAZ, today=TODAY)
    assert [e.start for e in found] == sorted(e.start for e in found)
    assert all(text[e.start : e.end] == e.text for e in found)
    assert {e.type for e in found} == {"date", "party_role", "amount", "phone", "place"}


def test_without_gazetteer_no_places_and_empty_text() -> None:
    assert all(e.type != "place" for e in extract_entities("枫桥镇", today=TODAY))
    assert extract_entities("", today=TODAY) == []
