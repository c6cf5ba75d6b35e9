"""Headcounts: how many people (or households) are on the resident's side of a dispute."""

from __future__ import annotations

import pytest

from nlu.entities import extract_entities
from nlu.entities.headcount import find_headcounts, largest_headcount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我们30个工人被拖欠了三个月工资", 30),
        ("三十多个工友一起去讨薪", 30),  # vague: lower bound, like money
        ("十几户村民的田被淹了", 10),
        ("全村50多户都受影响", 50),
        ("我和另外两个人一起在工地干活", 3),  # me and two others
        ("我跟另外3名工友", 4),
        ("我们厂300多名员工", 300),
        ("几十个工人堵在厂门口", 10),
        ("二三十个农民工没拿到钱", 20),  # a range keeps its smaller end
        ("小区２００多户业主", 200),  # full-width digits
        ("我们五个人合伙开的店", 5),
        ("两户人家为了宅基地吵", 2),
        ("我们家三口人住在这里", 3),
        # No group on the resident's side:
        ("我", None),
        ("我一个人在外面打工", None),  # one person is not a group
        ("老板拖欠我们三个月工资，一共两万八", None),  # months, not people
        ("对方来了十几个人", None),  # the other side
        ("被五六个人围住打", None),
        ("第三个人说他看见了", None),  # an ordinal
        ("这三家公司都不给钱", None),  # companies, not households
        ("他家三个户口本", None),
        ("借了5万块钱给朋友", None),
        ("", None),
    ],
)
def test_headcount_of_a_message(text: str, expected: int | None) -> None:
    assert largest_headcount(text) == expected


def test_several_groups_the_largest_counts() -> None:
    text = "我们班组8个工人，全厂一共120多名员工都没拿到工资"
    assert [e.value for e in find_headcounts(text)] == [8, 120]
    assert largest_headcount(text) == 120


def test_offsets_point_at_the_words() -> None:
    text = "去年我们30个工人在店口的厂里干活"
    (entity,) = find_headcounts(text)
    assert (entity.type, entity.text, entity.value) == ("headcount", "30个工人", 30)
    assert text[entity.start : entity.end] == entity.text


def test_a_headcount_shares_its_words_with_a_party_role() -> None:
    found = [(e.type, e.text, e.value) for e in extract_entities("三十多个工友被老板欠了30万")]
    assert found == [
        ("headcount", "三十多个工友", 30),
        ("party_role", "工友", "individual"),
        ("party_role", "老板", "employer"),
        ("amount", "30万", 300000),
    ]
