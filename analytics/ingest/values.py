"""Cell values as people write them, to typed values: dates, grades, levels, states, numbers."""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, datetime, timedelta

from analytics.inert import FORMULA_START
from analytics.ledger import vocabulary as ledger

EXCEL_EPOCH = date(1899, 12, 30)
_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"\d{5}(\.0)?")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")  # month/day/year, as other systems export


class ValueProblem(ValueError):
    """A cell that cannot be read; the message says what is wrong, in Chinese."""


def text(cell: object) -> str | None:
    """A cell as trimmed text (full-width spaces too), None when blank. Never a formula.

    A leading single quote before = + - @ tab or CR is dropped: it is the quote inert files carry,
    so an exported ledger imports back unchanged.
    """
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    t = str(cell).replace("\u3000", " ").strip()
    if t[:1] == "'" and t[1:2] and t[1] in FORMULA_START:
        t = t[1:]  # the quote every file the product writes puts before formula-like text
    return t or None


def parse_date(cell: object) -> date | None:
    """2022-06-03, 2022/6/3, 2022.6.3, 2022年6月3日, 20220603, an Excel serial or a datetime."""
    if cell is None or (isinstance(cell, str) and text(cell) is None):  # blank, spaces too
        return None
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and 20000 <= cell <= 80000:  # an Excel serial day
        return EXCEL_EPOCH + timedelta(days=int(cell))
    t = str(cell).strip()
    if len(t) == 10 and t[4] == "-":  # the common case first: 2022-06-03
        try:
            return date.fromisoformat(t)
        except ValueError:
            pass
    t = unicodedata.normalize("NFKC", t)
    m = _DATE.fullmatch(t) or _COMPACT.fullmatch(t)
    if not m and _SERIAL.fullmatch(t):
        serial = float(t)
        if 20000 <= serial <= 80000:
            return EXCEL_EPOCH + timedelta(days=int(serial))
        raise ValueProblem(f"无法识别的日期“{t}”（例：2022-06-03）")
    if not m and (us := _US.fullmatch(t)):
        try:
            return date(int(us.group(3)), int(us.group(1)), int(us.group(2)))
        except ValueError:
            raise ValueProblem(f"日期“{t}”不存在") from None
    if not m:
        raise ValueProblem(f"无法识别的日期“{t}”（例：2022-06-03）")
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueProblem(f"日期“{t}”不存在") from None


GRADES = {
    "重大": "重大",
    "较大": "较大",
    "一般": "一般",
    "一级": "重大",
    "二级": "较大",
    "三级": "一般",
    "i级": "重大",
    "ii级": "较大",
    "iii级": "一般",
}
LEVELS = {
    "部": "部",
    "部级": "部",
    "公安部": "部",
    "省": "省",
    "省级": "省",
    "市": "市",
    "市级": "市",
    "县": "县",
    "县级": "县",
    "区级": "县",
    "无": "无",
    "否": "无",
    "": "无",
}
CLOSED_WORDS = ("已销号", "销号", "已整改", "整改完成", "完成", "已完成", "是")
STATE_WORDS = {s: s for s in ledger.STATES} | {
    "在办": ledger.RECTIFYING,
    "未整改": ledger.RECTIFYING,
    "整改中": ledger.RECTIFYING,
    "正在整改": ledger.RECTIFYING,
    "否": ledger.RECTIFYING,
}


def grade(cell: object) -> str | None:
    t = text(cell)
    if t is None:
        return None
    key = unicodedata.normalize("NFKC", t).lower().removesuffix("隐患").removesuffix("风险")
    if key not in GRADES:
        raise ValueProblem(f"无法识别的风险等级“{t}”（可用：重大/较大/一般 或 一级/二级/三级）")
    return GRADES[key]


def level(cell: object) -> str:
    t = text(cell) or ""
    key = t.removesuffix("挂牌督办").removesuffix("挂牌").removesuffix("督办")
    if key not in LEVELS:
        raise ValueProblem(f"无法识别的挂牌督办级别“{t}”（可用：部/省/市/县/无）")
    return LEVELS[key]


def state(cell: object, closed_flag: object = None) -> str | None:
    """The workflow state from 整改状态 / 是否销号 words; None when neither says anything."""
    flag = text(closed_flag)
    if flag is not None and flag in CLOSED_WORDS:
        return ledger.CLOSED
    t = text(cell)
    if t is None:
        return ledger.RECTIFYING if flag is not None else None
    if t in CLOSED_WORDS:
        return ledger.CLOSED
    if t not in STATE_WORDS:
        raise ValueProblem(f"无法识别的整改状态“{t}”")
    return STATE_WORDS[t]


def number(cell: object, what: str) -> float | None:
    """A finite number (NaN, infinity and their spellings are not numbers a ledger holds)."""
    t = text(cell)
    if t is None:
        return None
    try:
        x = float(unicodedata.normalize("NFKC", t).replace(",", ""))
    except (ValueError, OverflowError):
        raise ValueProblem(f"{what}“{t}”不是数字") from None
    if not math.isfinite(x):
        raise ValueProblem(f"{what}“{t}”不是有效的数字")
    return x


def count(cell: object, what: str, limit: int) -> int | None:
    """A whole number of people from 0 to limit: 1.5 or 1e9 is a mistake, never rounded."""
    x = number(cell, what)
    if x is None:
        return None
    if x < 0:
        raise ValueProblem(f"{what}不能为负数")
    if not x.is_integer():
        raise ValueProblem(f"{what}“{text(cell)}”须为整数")
    if x > limit:
        raise ValueProblem(f"{what}“{text(cell)}”超过 {limit} 人，请核对")
    return int(x)


_TOTAL = re.compile(r"(合\s*计|小\s*计|总\s*计)")


def is_total_row(cells: list[object]) -> bool:
    """合计/小计/总计 rows sum the ledger up: they are not hazards. (Only a text cell can hold
    计: numbers and dates never do, so the others are not looked at.)"""
    return any(
        isinstance(c, str) and "计" in c and _TOTAL.fullmatch(text(c) or "") for c in cells[:4]
    )


_TIME = re.compile(r"(\d{1,2})[:时：](\d{1,2})(?:[:分：](\d{1,2}))?秒?")


def parse_datetime(cell: object, time_cell: object = None) -> datetime | None:
    """A date and time: a datetime cell, an Excel serial with a day fraction, a date text with
    a time after it, or a date with the time in its own cell; midnight when no time is given."""
    if cell is None or (isinstance(cell, str) and text(cell) is None):  # blank, spaces too
        return None
    if isinstance(cell, datetime):
        moment = cell
    elif isinstance(cell, int | float) and 20000 <= cell <= 80000:
        moment = datetime.combine(EXCEL_EPOCH, datetime.min.time()) + timedelta(days=float(cell))
        moment = moment.replace(microsecond=0)
    else:
        t = unicodedata.normalize("NFKC", str(cell)).strip()
        day = parse_date(t.split(" ")[0].split("T")[0] if _DATE.fullmatch(t) else t)
        rest = t[len(t.split(" ")[0]) :].strip() if " " in t else ""
        moment = datetime.combine(day, _clock(rest) if rest else datetime.min.time())
    if time_cell is not None and not (isinstance(time_cell, str) and text(time_cell) is None):
        moment = datetime.combine(moment.date(), _clock(time_cell))
    return moment


def _clock(cell: object):  # a datetime.time
    if isinstance(cell, datetime):
        return cell.time()
    if isinstance(cell, float) and 0 <= cell < 1:  # an Excel time of day
        seconds = round(cell * 86400)
        return (datetime.min + timedelta(seconds=seconds)).time()
    t = unicodedata.normalize("NFKC", str(cell)).strip()
    m = _TIME.fullmatch(t)
    if not m:
        raise ValueProblem(f"无法识别的时间“{t}”（例：14:30）")
    h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or sec > 59:
        raise ValueProblem(f"时间“{t}”不存在")
    return datetime.min.replace(hour=h, minute=mi, second=sec).time()
