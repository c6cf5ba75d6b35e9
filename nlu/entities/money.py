"""Money amounts in integer yuan, from short answers and from longer messages.

Values are rounded to the nearest yuan. Vague amounts resolve to their lower bound (see
`_numerals`): 十几万 -> 100000, 三万多 -> 30000, 一两万 -> 10000, 几千块 -> 1000, so a figure
shown back to the resident is never more than they said. 30w is 300000 (w = 万).

In a longer message a number is an amount only when it carries a money unit (块/元/¥), or
when it sits in a money context (钱, 欠, 工资, 赔 ... in the same sentence); a number
followed by another unit (岁, 个, 楼, 年, 月, 号, 亩 ...) or shaped like a phone number,
date or time never is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from nlu.entities._numerals import parse_number
from nlu.entities._text import fold, sentence_bounds
from nlu.types import Entity

_CN = "零〇一二两三四五六七八九十百千万亿几壹贰叁肆伍陆柒捌玖拾佰仟萬俩仨"
_START = r"(?:\d|[一二两三四五六七八九十几壹贰叁肆伍陆柒捌玖拾俩仨]|[千万](?=把)|(?<=上)[千万])"
# 一 right before a measure word starts a rate, not the number: 两百八一个平方, 六百一亩.
_PER = r"个?(?:平方|平米|天|斤|亩|月|年|晚|次|节|小时|吨|车|箱|套|间|家|户|人)"
_PART = (
    r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
    rf"|[{_CN.replace('一', '')}]|一(?!{_PER})"
    r"|点(?=[零一二两三四五六七八九])"
    r"|[kKwW](?![A-Za-z])"
    r"|[多来余把](?=[十百千万亿拾佰仟萬块元kKwW])"
)
_AMOUNT = re.compile(
    rf"(?P<cur>[¥￥]\s?|人民币\s?)?"
    rf"(?P<num>(?={_START})(?:{_PART})+)(?P<approx>多|余)?"
    r"(?P<unit>\s?(?:块钱|块|元钱|元|圆|人民币|RMB|rmb)(?![A-Za-z]))?"
)
# A unit after the number that makes it something other than money.
_OTHER_UNIT = re.compile(
    r"(?:多|来|余)?(?:周岁|岁|个|人|名|位|口|户|家|楼|层|栋|幢|号|年|月|日|天|周|星期|"
    r"礼拜|小时|钟头|分钟|分|秒|点|次|回|遍|趟|亩|斤|公斤|克|吨|米|公里|里|平|方|间|辆|台|头|"
    r"块|只|条|棵|株|根|张|本|件|套|节|瓶|箱|袋|包|度|倍|级|组|队|班|届|期|胎|代|辈|处|座|所|支|"
    r"批|道|份|部|枚|颗|粒|盒|桶|车|寸|尺|丈|厘|毫|室|床|成|折|%|km|kg|cm|mm|m(?![A-Za-z])|"
    r"g(?![A-Za-z])|[-./:]\d|\d)"
)
# Just before the number: ordinals, dates, weekdays, identifiers.
_BAD_BEFORE = re.compile(
    r"(?:第|尾号|编号|电话|手机|号码|门牌|房号|车牌|身份证|QQ|微信|卡号|账号|[A-Za-z.\-/:#])\s?$"
)
# Before a Chinese numeral only: 腊月二十三, 初八, 周三 are dates (一个月4500 is money).
_BAD_BEFORE_CN = re.compile(r"(?:初|月|年|号|周|星期|礼拜)$")
# 块 that measures land, bricks and the like; 元 that starts 元旦, 元宵 ...
_NOT_YUAN_AFTER_KUAI = frozenset("地田砖石板玻木肉布糖牌屏瓦儿表瓷")
_NOT_YUAN_AFTER_YUAN = frozenset("旦宵月素件器老首帅")
_MONEY_CONTEXT = re.compile(
    r"[一每](?:个)?(?:平方|平米|天|斤|亩|个月|月|年|晚|次|节|小时)|"  # a rate: 两百八一个平方
    r"给|拿|出|一共|总共|共计|总价|差|收|结|包工包料|充|赊|交|合同|卡|订金|定金|首付|尾款|补助|补贴|奖励|基金|资金|花|"
    r"钱|欠|借|赔|还款|工资|工钱|薪|费|款|付|罚|押金|租|补偿|彩礼|嫁妆|利息|贷|转账|损失|价|"
    r"花了|买|卖|收了|给了|要了|讨|结算|拖欠|报销|退|金额|多少|收入|成本|债|账|块|元|赚|挣|"
    r"赃|扣|交了|垫"
)
_CONTEXT_BEFORE = 14
_CONTEXT_AFTER = 8
_MAX_DIGITS = 10  # 11+ digit runs are phone or ID numbers


def _is_yuan_unit(text: str, m: re.Match[str]) -> bool:
    unit = (m.group("unit") or "").strip()
    if not unit:
        return m.group("cur") is not None
    nxt = text[m.end():m.end() + 1]
    if unit == "块":
        if nxt in _NOT_YUAN_AFTER_KUAI:
            return False
        if m.group("num") == "一" and nxt != "钱":  # 一块去 = together
            return False
    return not (unit in ("元", "圆") and nxt in _NOT_YUAN_AFTER_YUAN)


def _candidates(text: str, *, lenient: bool) -> Iterator[tuple[int, int, int]]:
    """(start, end, yuan) for each plausible amount in folded `text`."""
    for m in _AMOUNT.finditer(text):
        num = m.group("num")
        digits = sum(c.isdigit() for c in num)
        if digits > _MAX_DIGITS:
            continue
        value = parse_number(num)
        if value is None or value <= 0:
            continue
        start, end = m.start(), m.end()
        yuan = _is_yuan_unit(text, m)
        if not yuan:
            end = m.end("approx") if m.group("approx") else m.end("num")
            after = m.end("num")
            if _OTHER_UNIT.match(text, after) or (
                digits and text[after:after + 1] == " " and _OTHER_UNIT.match(text, after + 1)
            ):
                continue
        if not yuan and (
            _BAD_BEFORE.search(text, max(0, start - 4), start)
            or (
                not digits
                and not any(c in "百千万亿佰仟萬" for c in m.group("num"))
                and _BAD_BEFORE_CN.search(text, max(0, start - 2), start)
            )
        ):
            continue
        if not yuan and not _plausible_bare(text, m, value, start, end, lenient=lenient):
            continue
        yield start, end, int(value + 0.5)


def _plausible_bare(
    text: str, m: re.Match[str], value: float, start: int, end: int, *, lenient: bool
) -> bool:
    """A number without 块/元: needs a multiplier or digits, and (in a message) money context."""
    num = m.group("num")
    has_digits = any(c.isdigit() for c in num)
    has_multiplier = any(c in "百千万亿佰仟萬kKwW" for c in num)
    if not has_digits and not has_multiplier:
        return False  # 一, 十分, 三十: too common in ordinary words
    if lenient:
        return True
    if not has_multiplier and value < 10:
        return False
    begin, stop = sentence_bounds(text, start, end)
    window = text[max(begin, start - _CONTEXT_BEFORE):min(stop, end + _CONTEXT_AFTER)]
    return _MONEY_CONTEXT.search(window) is not None


def find_amounts(text: str) -> list[Entity]:
    """Money amounts mentioned in a message, strict about context (see module doc)."""
    folded = fold(text)
    return [
        Entity("amount", text[s:e], v, s, e) for s, e, v in _candidates(folded, lenient=False)
    ]


def parse_amount(text: str) -> int | None:
    """The amount in a whole answer to "how much is involved?", or None.

    A bare number is accepted here (the question supplies the money context), but not one
    with a non-money unit: "三千" -> 3000, "70岁" -> None.
    """
    found = find_amounts(text)
    if found:
        return int(found[0].value)
    for _, _, value in _candidates(fold(text), lenient=True):
        return value
    return None
