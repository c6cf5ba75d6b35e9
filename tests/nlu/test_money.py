"""Money amounts: whole answers to "how much?" and amounts inside longer messages."""

from __future__ import annotations

import pytest

from nlu.entities.money import find_amounts, parse_amount


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("三万块", 30000),
        ("3万", 30000),
        ("5千元", 5000),
        ("一万二", 12000),
        ("2,500元", 2500),
        ("两千五", 2500),
        ("1.5万", 15000),
        ("十几万", 100000),  # vague: lower bound
        ("大概八百左右", 800),
        ("30w", 300000),  # w = 万
        ("3W", 30000),
        ("2k", 2000),
        ("一百二十万", 1200000),
        ("500块钱", 500),
        ("3000", 3000),
        ("三千多", 3000),
        ("两三千块吧", 2000),
        ("七八百", 700),
        ("万把块", 10000),
        ("好几万", 10000),
        ("上万块", 10000),
        ("¥3000", 3000),
        ("人民币5000元", 5000),
        ("一共欠我4万8", 48000),
        ("3万5", 35000),
        ("一万零五百", 10500),
        ("伍仟元整", 5000),
        ("１２０００元", 12000),
        ("差不多二十来万", 200000),
        ("一点五万", 15000),
        ("三块五", 3),
        ("8000多块", 8000),
        ("工资每个月4500", 4500),
        ("他赔了我六百块", 600),
        ("一两万", 10000),
        ("3.5元", 4),  # rounded to the nearest yuan
    ],
)
def test_parse_amount(text: str, expected: int) -> None:
    assert parse_amount(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "不知道",
        "没算过",
        "70岁",
        "30个工人",
        "3楼",
        "2023年",
        "5月3号",
        "13812345678",
        "两块地",
        "一块去",
        "十分生气",
        "还没有",
    ],
)
def test_parse_amount_none(text: str) -> None:
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他欠我三万块钱，说好5月3号还", [("三万块钱", 30000)]),
        ("2023年借给他5万 到现在一分没还", [("5万", 50000)]),
        ("老板拖欠工资3000多 我们30个工人都没拿到", [("3000多", 3000)]),
        ("电话13812345678 欠款2000", [("2000", 2000)]),
        ("2024.3.5那天他借了1.5万", [("1.5万", 15000)]),
        ("彩礼给了十八万八 现在要离婚", [("十八万八", 188000)]),
        ("医药费花了两万多 误工费三千", [("两万多", 20000), ("三千", 3000)]),
        ("元旦前还钱 一共八千", [("八千", 8000)]),
        ("押金2000元房东不退", [("2000元", 2000)]),
        ("房号302 房租一个月1500", [("1500", 1500)]),
    ],
)
def test_find_amounts(text: str, expected: list[tuple[str, int]]) -> None:
    found = find_amounts(text)
    assert [(e.text, e.value) for e in found] == expected
    for e in found:
        assert e.type == "amount"
        assert text[e.start : e.end] == e.text


@pytest.mark.parametrize(
    "text",
    [
        "我今年70岁了 住在3楼",
        "村里有三万人",
        "厂里30个工人 干了5年",
        "2023年5月3号他开始在我家门口堆东西",
        "我们一块去找他评理",
        "三块地被他占了",
        "他每天3点钟就开始装修",
        "身份证330681199001011237",
        "他家房子盖了3层 比我家高2米",
        "腊月二十三那天吵起来的",
        "十分生气 一直不理我",
    ],
)
def test_no_false_amounts(text: str) -> None:
    assert find_amounts(text) == []
