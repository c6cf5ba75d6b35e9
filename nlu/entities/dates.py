"""Dates in dispute reports, normalised to ISO strings at the precision the resident gave.

"2023" (year), "2023-05" (month) or "2023-05-03" (day). Decisions:

* A date without a year (5月3号, 腊月, 开春, 周三) is the most recent one on or before
  `today`: residents report what already happened. Relative phrases (前天, 三个月前) are
  always in the past. A date with an explicit year is returned as given.
* 上周/上星期 -> the Monday of last week (day precision); 上周三 -> that Wednesday;
  这周 -> this week's Monday; 上周末 -> that Saturday (周末 alone is a habit, not a date).
* 上个月 -> month precision; X个月前 and 半年前 -> month precision; X年前 -> year precision;
  X天前, X周前, 半个月前 -> day precision. 几 in a duration counts as 3 (前几天 -> 3 days ago,
  几十年前 -> 30 years). "吵了三个月了" (a duration up to now) counts as 三个月前.
* Lunar dates are approximated without a table: lunar new year is taken as 5 February
  (it falls between 21 January and 20 February) and lunar months as 29.53 days, so lunar
  (month M, day D) of year Y ≈ 5 Feb Y + (M-1)*29.53 + (D-1) days: usually within about
  two weeks, up to about a month early in the months after a leap month (农历八月十五 2025
  -> 2025-09-14; the real day was 6 October).
  A lunar month without a day takes its 15th: 腊月 of Y ≈ January of Y+1, 正月 ≈ February.
  初N days, 正月/冬月/腊月 and 农历/阴历 mark a date as lunar.
* Seasons: 开春 -> March, 春节/过年 -> February, 春天 April, 夏天 July, 秋天 October,
  冬天 December, 年初 January, 年中 June, 年底/年末 December (month precision).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

from nlu.entities._numerals import parse_number
from nlu.entities._text import fold
from nlu.types import Entity

_D = "零〇一二两三四五六七八九十廿"
_N2 = rf"(?:\d{{1,2}}|[{_D}]{{1,3}})"
_LUNAR_NEW_YEAR = (2, 5)
_LUNAR_MONTH_DAYS = 29.53
_LUNAR_MONTHS = {"正月": 1, "端月": 1, "冬月": 11, "腊月": 12}
_SEASONS = {"开春": 3, "春节": 2, "过年": 2, "春天": 4, "夏天": 7, "秋天": 10, "冬天": 12,
            "底": 12, "末": 12, "初": 1, "头": 1, "中": 6, "年底": 12, "年末": 12, "年初": 1,
            "年头": 1, "年中": 6}
_REL_YEARS = {"大前年": -3, "前年": -2, "去年": -1, "上一年": -1, "头年": -1, "今年": 0}

_CALENDAR = re.compile(
    rf"""
    (?:(?<!\d)(?P<y4>(?:19|20)\d{{2}})\s*年份?
      |(?<!\d)(?P<y2>\d{{2}})\s*年(?=\s*{_N2}\s*月)
      |(?P<ycn>[零〇一二三四五六七八九]{{4}})\s*年
      |(?P<yrel>大前年|前年|去年|上一年|头年|今年))?
    (?P<lunar>农历|阴历|旧历)?
    (?:(?P<month>(?<!\d){_N2})\s*月份?
      |(?P<lmonth>正月|端月|冬月|腊月)
      |(?P<season>(?<=年)[底末初头中](?!\s*[一二三四五六七八九十])|年底|年末|年初|年头|年中
         |开春|春节|过年|春天|夏天|秋天|冬天))?
    (?:(?P<day>(?<!\d){_N2})\s*[日号](?![楼房院门线床车机位仓厂地田桥路街巷弄组队箱柜铺店摊码元])
      |初(?P<chu>十|[一二三四五六七八九])(?![一二三四五六七八九十])
      |(?P<lday>二十[一二三四五六七八九]?|廿[一二三四五六七八九]?|十[一二三四五六七八九]?|三十)
      |(?P<part>初|上旬|中旬|下旬|底|末))?
    """,
    re.X,
)
_NUMERIC = re.compile(
    r"(?<![\d.])(?P<y>(?:19|20)\d{2})\s*([-/.])\s*(?P<m>\d{1,2})"
    r"(?:\s*\2\s*(?P<d>\d{1,2}))?(?![\d.])"
)
_REL_DAYS = {"大大前天": -4, "大前天": -3, "前天": -2, "前儿": -2, "昨天": -1, "昨日": -1,
             "昨儿": -1, "昨晚": -1, "昨夜": -1, "昨早": -1, "今天": 0, "今日": 0, "今儿": 0,
             "今早": 0, "今晚": 0, "今晨": 0, "刚才": 0, "刚刚": 0, "前几天": -3,
             "前两天": -2, "前些天": -3, "前三天": -3}
_REL_DAY = re.compile("|".join(sorted(_REL_DAYS, key=len, reverse=True)))
_AGO = re.compile(
    rf"(?<![\d{_D}几第])(?P<n>\d{{1,3}}|[{_D}几]{{1,3}}|半|一两|两三)\s*个?(?P<half>半)?个?多?"
    r"\s*(?P<unit>天|日|周|星期|礼拜|月|年)(?P<half2>半)?多?\s*(?:以前|之前|前|了)"
)
_WEEK = re.compile(
    r"(?<!每)(?:(?P<rel>上上个?|上一?个?|这一?个?|本)\s*)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天1-7末])?"
)
_MONTH_REL = re.compile(
    rf"(?P<rel>上上个?月|上一?个?月|这个?月|本月)(?:(?P<day>{_N2})\s*[号日]|(?P<part>初|中旬|底|末))?"
)
_AGE_AFTER = re.compile(r"\s*(?:都|已经|才|刚)?[\d零一二两三四五六七八九十]+多?岁")
_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}


def _num(s: str | None) -> int | None:
    if not s:
        return None
    v = parse_number(s.replace("廿", "二十") if s.startswith("廿") else s)
    return int(v) if v is not None and v == int(v) else None


def _iso(y: int, m: int | None = None, d: int | None = None) -> str | None:
    if m is None:
        return f"{y:04d}"
    if not 1 <= m <= 12:
        return None
    if d is None:
        return f"{y:04d}-{m:02d}"
    if not 1 <= d <= calendar.monthrange(y, m)[1]:
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def _lunar(y: int, m: int, d: int | None) -> date:
    base = date(y, *_LUNAR_NEW_YEAR)
    return base + timedelta(days=round((m - 1) * _LUNAR_MONTH_DAYS + ((d or 15) - 1)))


def _months_back(today: date, n: int) -> tuple[int, int]:
    k = today.year * 12 + today.month - 1 - n
    return k // 12, k % 12 + 1


def _calendar(m: re.Match[str], today: date) -> str | None:
    g = m.groupdict()
    year: int | None = None
    if g["y4"]:
        year = int(g["y4"])
    elif g["y2"]:
        year = 2000 + int(g["y2"])
    elif g["ycn"]:
        year = int("".join(str(_num(c) or 0) for c in g["ycn"]))
    elif g["yrel"]:
        if _AGE_AFTER.match(m.string, m.end()):
            return None  # 他今年70岁: an age, not a date
        year = today.year + _REL_YEARS[g["yrel"]]
    explicit = year is not None
    lunar = bool(g["lunar"] or g["lmonth"] or g["chu"])
    month = _LUNAR_MONTHS.get(g["lmonth"] or "") or _num(g["month"])
    day = _num(g["day"]) or _num(g["chu"])
    if g["lday"]:
        if not (lunar or month):
            return None
        lunar, day = True, _num(g["lday"])
    if g["season"] and month is None:
        if g["season"] in ("底", "末", "初", "头", "中") and not explicit:
            return None
        month = _SEASONS[g["season"]]
    if month is None and (day is not None or (g["part"] and not explicit)):
        if day is None or g["day"] is None:
            return None
        return _day_only(day, today)
    if month is None:
        return _iso(year) if year is not None else None
    if not 1 <= month <= 12:
        return None
    y = year if year is not None else today.year
    if lunar:
        approx = _lunar(y, month, day)
        if not explicit and approx > today:
            approx = _lunar(y - 1, month, day)
        return _iso(approx.year, approx.month, approx.day if day else None)
    if not explicit and (month, day or 1) > (today.month, today.day):
        y -= 1
    return _iso(y, month, day)


def _day_only(day: int, today: date) -> str | None:
    """N号: the most recent Nth of a month on or before today."""
    y, m = today.year, today.month
    for _ in range(3):
        if day <= today.day or (y, m) != (today.year, today.month):
            iso = _iso(y, m, day)
            if iso:
                return iso
        y, m = _months_back(date(y, m, 1), 1)
    return None


def _ago(m: re.Match[str], today: date) -> str | None:
    raw = m.group("n")
    n = {"半": 0.5, "一两": 1.0, "两三": 2.0}.get(raw)
    if n is None:
        n = float(_num(raw.replace("几", "三")) or 0)  # 几 ≈ 3: 几天前, 几十年前
    if m.group("half") or m.group("half2"):
        n += 0.5
    if n <= 0:
        return None
    unit = m.group("unit")
    if unit in ("天", "日"):
        return (today - timedelta(days=round(n))).isoformat()
    if unit in ("周", "星期", "礼拜"):
        return (today - timedelta(days=round(n * 7))).isoformat()
    months = n if unit == "月" else n * 12
    if months < 1:
        return (today - timedelta(days=round(months * 30))).isoformat()
    if unit == "年" and n == int(n):
        return _iso(today.year - int(n))
    return _iso(*_months_back(today, round(months)))


def _week(m: re.Match[str], today: date) -> str | None:
    rel, wd = (m.group("rel") or "").rstrip("个一"), m.group("wd")
    if not rel and (not wd or wd == "末"):
        return None  # 周末 alone is usually a habit (周末也不休), not a date
    monday = today - timedelta(days=today.weekday())
    back = {"": 0, "这": 0, "本": 0, "上": 1, "上上": 2}.get(rel.replace("一", ""), 0)
    if wd is None:
        return (monday - timedelta(weeks=back)).isoformat()
    offset = _WEEKDAYS.get(wd, int(wd) - 1 if wd.isdigit() else 0)
    day = monday - timedelta(weeks=back) + timedelta(days=offset)
    if not rel and day > today:
        day -= timedelta(weeks=1)
    return day.isoformat()


def _month_rel(m: re.Match[str], today: date) -> str | None:
    rel = m.group("rel")
    back = 2 if rel.startswith("上上") else 1 if rel.startswith("上") else 0
    y, mo = _months_back(today, back)
    return _iso(y, mo, _num(m.group("day")))


def _numeric(m: re.Match[str], today: date) -> str | None:
    d = m.group("d")
    if m.group(2) == "." and d is None:
        return None  # 2024.3 is as likely a number as a month
    return _iso(int(m.group("y")), int(m.group("m")), int(d) if d else None)


def _rel_day(m: re.Match[str], today: date) -> str | None:
    return (today + timedelta(days=_REL_DAYS[m.group()])).isoformat()


_PATTERNS = (
    (_NUMERIC, _numeric),
    (_CALENDAR, _calendar),
    (_REL_DAY, _rel_day),
    (_AGO, _ago),
    (_MONTH_REL, _month_rel),
    (_WEEK, _week),
)


def find_dates(text: str, today: date) -> list[Entity]:
    """Date mentions in `text`, longest first where they overlap, in text order."""
    folded = fold(text)
    found: list[tuple[int, int, str]] = []
    for pattern, handler in _PATTERNS:
        for m in pattern.finditer(folded):
            if m.end() > m.start() and m.group().strip():
                value = handler(m, today)
                if value is not None:
                    found.append((m.start(), m.end(), value))
    found.sort(key=lambda t: (t[0], t[0] - t[1]))
    chosen: list[tuple[int, int, str]] = []
    for s, e, v in sorted(found, key=lambda t: t[0] - t[1]):
        if all(e <= cs or s >= ce for cs, ce, _ in chosen):
            chosen.append((s, e, v))
    return [Entity("date", text[s:e], v, s, e) for s, e, v in sorted(chosen)]


def parse_date(text: str, today: date) -> str | None:
    """The first date in a short answer to "when did it start?", or None."""
    found = find_dates(text, today)
    return str(found[0].value) if found else None
