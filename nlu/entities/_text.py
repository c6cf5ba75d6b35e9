"""Text helpers shared by the extractors: width folding that keeps character offsets."""

from __future__ import annotations

import re

# Full-width digits, letters and the few symbols that matter for numbers, folded to ASCII.
# One character in, one character out, so match offsets stay valid on the original text.
# The full-width comma and full stop are left alone: they separate clauses, not thousands.
_FOLD = {0x3000: " "}
_FOLD.update({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})  # ０-９
_FOLD.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FOLD.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FOLD.update({ord(k): v for k, v in {"＋": "+", "－": "-", "／": "/", "％": "%", "：": ":",
                                        "．": ".", "（": "(", "）": ")", "—": "-"}.items()})


def fold(text: str) -> str:
    """Half-width copy of `text` with identical length (offsets remain valid)."""
    return text.translate(_FOLD)


# Sentence ends: context words are looked for within one sentence only.
SENTENCE_END = re.compile(r"[。！？!?；;\n]")

# Common surnames (for 老王/小张-style references and bare names such as 张三).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤楼俞骆斯寿宣翁蒋应边屠"
)


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around text[start:end], as (begin, stop) offsets."""
    begin = 0
    for m in SENTENCE_END.finditer(text, 0, start):
        begin = m.end()
    m = SENTENCE_END.search(text, end)
    return begin, (m.start() if m else len(text))
