"""Who the other party is: role keys from short answers and from messages."""

from __future__ import annotations

import pytest

from nlu.entities.parties import PARTY_ROLES, find_party_roles, parse_party_role


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("隔壁老王", "neighbour"),
        ("对门那家", "neighbour"),
        ("楼上的邻居", "neighbour"),
        ("我老公", "spouse"),
        ("前妻", "spouse"),
        ("俺男人", "spouse"),
        ("我儿子", "family_member"),
        ("儿媳妇", "family_member"),
        ("丈母娘", "family_member"),
        ("老板", "employer"),
        ("厂里", "employer"),
        ("包工头", "employer"),
        ("公司老板", "employer"),
        ("我老公的老板", "employer"),  # head noun after 的
        ("房东", "landlord"),
        ("租我房子的", "tenant"),
        ("镇卫生院", "hospital"),
        ("诊所的医生", "hospital"),
        ("镇政府", "government"),
        ("城管", "government"),
        ("国土所", "government"),
        ("街道办", "government"),
        ("物业公司", "property_company"),
        ("小区物业", "property_company"),
        ("卖家", "merchant"),
        ("店老板", "merchant"),
        ("装修公司", "contractor"),
        ("施工队", "contractor"),
        ("保险公司", "insurer"),
        ("肇事司机", "driver"),
        ("对方车主", "driver"),
        ("幼儿园", "school"),
        ("孩子的班主任", "school"),
        ("村委会", "village_committee"),
        ("村支书", "village_committee"),
        ("开发商", "company"),
        ("快递公司", "company"),
        ("一个朋友", "individual"),
        ("张三", "individual"),
        ("老王", "individual"),
        ("李某", "individual"),
    ],
)
def test_parse_party_role(text: str, expected: str) -> None:
    assert expected in PARTY_ROLES
    assert parse_party_role(text) == expected


@pytest.mark.parametrize("text", ["不知道", "不清楚", "就是那个", "陈家村", "应该是吧", ""])
def test_parse_party_role_none(text: str) -> None:
    assert parse_party_role(text) is None


def test_find_party_roles_in_message() -> None:
    text = "隔壁邻居占了我家的地，村委会也不管，我去找了镇政府"
    found = find_party_roles(text)
    assert [(e.text, e.value) for e in found] == [
        ("隔壁邻居", "neighbour"),
        ("村委会", "village_committee"),
        ("镇政府", "government"),
    ]
    assert all(text[e.start : e.end] == e.text and e.type == "party_role" for e in found)


def test_longest_keyword_wins() -> None:
    assert [e.value for e in find_party_roles("物业公司和保险公司")] == [
        "property_company",
        "insurer",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("包工头跑了 我们十几个人的工钱都没拿到", "employer"),
        ("我在工地干活摔伤了，包工头说不算工伤", "employer"),
        ("包工头给我家建的房子墙体开裂屋顶漏水 他不来修", "contractor"),
        ("盖房子的包工头把墙砌歪了", "contractor"),
        ("装修的包工头拿了钱不来了", "contractor"),
        # a builder who is owed wages for building a house: still his workers' employer
        ("帮人家盖房子 包工头欠我们工钱", "employer"),
    ],
)
def test_the_gang_boss_is_employer_to_workers_and_contractor_to_home_owners(
    text: str, expected: str
) -> None:
    assert [e.value for e in find_party_roles(text) if e.text == "包工头"] == [expected]
