"""Dates at the precision the resident gave, relative to a fixed today (a Friday)."""

from __future__ import annotations

from datetime import date

import pytest

from nlu.entities.dates import find_dates, parse_date

TODAY = date(2025, 11, 21)  # Friday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2023年5月", "2023-05"),
        ("前天", "2025-11-19"),
        ("昨天下午", "2025-11-20"),
        ("今天早上", "2025-11-21"),
        ("大前天晚上", "2025-11-18"),
        ("前年", "2023"),
        ("去年", "2024"),
        ("今年3月", "2025-03"),
        ("上个月", "2025-10"),
        ("上上个月", "2025-09"),
        ("上个月15号", "2025-10-15"),
        ("去年腊月", "2025-01"),  # lunar 12th month of 2024 ≈ January 2025
        ("腊月二十三", "2025-01-17"),
        ("正月初八", "2025-02-12"),
        ("今年正月十五", "2025-02-19"),
        ("开春的时候", "2025-03"),
        ("过年那会儿", "2025-02"),
        ("去年冬天", "2024-12"),
        ("上周", "2025-11-10"),  # Monday of last week
        ("上星期三", "2025-11-12"),
        ("上个礼拜天", "2025-11-16"),
        ("这周一", "2025-11-17"),
        ("周三", "2025-11-19"),
        ("上周末", "2025-11-15"),
        ("3天前", "2025-11-18"),
        ("十多天前", "2025-11-11"),
        ("一个礼拜前", "2025-11-14"),
        ("半个月前", "2025-11-06"),
        ("半年前", "2025-05"),
        ("三个月前", "2025-08"),
        ("三个多月前", "2025-08"),
        ("一年半以前", "2024-05"),
        ("两年前", "2023"),
        ("前几天", "2025-11-18"),
        ("吵了三个月了", "2025-08"),
        ("去年5月3号", "2024-05-03"),
        ("5月3号", "2025-05-03"),
        ("12月5日", "2024-12-05"),  # no year given: never in the future
        ("12月", "2024-12"),
        ("十月份", "2025-10"),
        ("5月初", "2025-05"),
        ("2024.3.5", "2024-03-05"),
        ("2024-03-05", "2024-03-05"),
        ("2024/3/5", "2024-03-05"),
        ("２０２４年３月５日", "2024-03-05"),
        ("二〇二三年三月", "2023-03"),
        ("23年5月", "2023-05"),
        ("2023年底", "2023-12"),
        ("去年年底", "2024-12"),
        ("2022年", "2022"),
        ("3号", "2025-11-03"),
        ("25号", "2025-10-25"),
    ],
)
def test_parse_date(text: str, expected: str) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "不记得了",
        "很久了",
        "他今年70岁",
        "3号楼",
        "每周三都来",
        "干了三个钟头",
        "一直这样",
        "13812345678",
    ],
)
def test_parse_date_none(text: str) -> None:
    assert parse_date(text, TODAY) is None


def test_find_dates_in_message() -> None:
    text = "去年5月借给他3万，上个月又吵了一架，前天他还在门口骂"
    found = find_dates(text, TODAY)
    assert [(e.text, e.value) for e in found] == [
        ("去年5月", "2024-05"),
        ("上个月", "2025-10"),
        ("前天", "2025-11-19"),
    ]
    assert all(text[e.start : e.end] == e.text and e.type == "date" for e in found)


@pytest.mark.parametrize(
    "text", ["腊月", "冬天", "12月5号", "周五", "开春", "正月初八", "前天", "半年前", "上周日"]
)
def test_relative_dates_never_in_the_future(text: str) -> None:
    for today in (date(2025, 1, 3), date(2025, 6, 30), TODAY):
        value = parse_date(text, today)
        assert value is not None
        assert value <= today.isoformat()[: len(value)]
