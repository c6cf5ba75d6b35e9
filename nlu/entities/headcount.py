"""How many people (or households) a message speaks for: group disputes are routed apart.

"我们30个工人" -> 30, "三十多个工友" -> 30, "十几户村民" -> 10, "全村50多户" -> 50,
"我和另外两个人" -> 3. A count needs a word for people after it (工人, 村民, 业主, 人 ...) or is
a number of households (户); vague counts resolve to their lower bound like money does
(`_numerals`). Not counted: one person (一个人), ordinals (第三个人), durations and things
(三个月, 两个孩子的学费 counts two children, which is harmless), and people on the other side
(对方来了十几个人, 被五六个人围住).
"""

from __future__ import annotations

import re

from nlu.entities._numerals import parse_number
from nlu.entities._text import fold
from nlu.types import Entity

_NUM = r"(?:\d{1,5}|[一二两三四五六七八九十百几俩仨]{1,5})(?:多|来|余)?"
_PEOPLE = (
    "工人 工友 员工 职工 农民工 民工 打工的 师傅 小工 技工 村民 居民 群众 业主 住户 租户 "
    "农户 人家 家庭 同事 学生 家长 老人 股东 社员 债主 受害者 受害人 买家 消费者 家属 骑手 "
    "司机 保安 保洁 老乡 邻居 兄弟 姐妹 人"
)
_NOUN = "|".join(sorted(_PEOPLE.split(" "), key=len, reverse=True))
_FIND = re.compile(
    rf"(?P<me>[我俺](?:和|跟|与|同|还有)另外(?P<others>{_NUM})(?:个|名|位)(?:{_NOUN}))"
    rf"|(?P<num>{_NUM})(?:(?:个|名|位|口)(?:{_NOUN})|户(?!口|籍|型)(?:{_NOUN})?|家(?:{_NOUN}))"
)
# Just before the count: an ordinal, or the other side of the dispute.
_NOT_OURS = re.compile(r"(?:第|对方|对面|被|他们)[^，。,；;！!？?\n]{0,4}$")
_LOOK_BACK = 6


def find_headcounts(text: str) -> list[Entity]:
    """Counts of people on the resident's side; value is an int of at least 2."""
    folded = fold(text)
    found: list[Entity] = []
    for m in _FIND.finditer(folded):
        start = m.start()
        if _NOT_OURS.search(folded, max(0, start - _LOOK_BACK), start):
            continue
        number = parse_number(m.group("others") or m.group("num"))
        if number is None:
            continue
        count = int(number) + (1 if m.group("me") else 0)
        if count >= 2:
            found.append(Entity("headcount", text[start : m.end()], count, start, m.end()))
    return found


def largest_headcount(text: str) -> int | None:
    """The largest group the message mentions, or None."""
    return max((int(e.value) for e in find_headcounts(text)), default=None)
