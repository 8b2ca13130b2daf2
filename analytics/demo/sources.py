"""The demo city's 人·车·企 source-hazard lists: what each county's platform exported for each
configured indicator at the end of every month of the campaign (analytics/demo/snapshots.py turns
them into snapshots and cases exactly as the importer would).

The story: a baseline list on 2021-12-31 (the 存量 counted on the campaign start, 2022-01-01),
then monthly lists 2022-01-31 … 2022-08-31. Most units clear faster than new cases come, so their
余量 falls month by month; 阜南县 and 颍上县 lag (low 清零率, 余量 flat or rising). A few cleared
subjects are listed again (a new case). A few enterprises gather enough open cases to be listed
for 约谈; two 约谈 are recorded."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from analytics.city import City
from analytics.sources.config import AB_CLASSES, Indicator, SourceConfig

LIST_DATES = (
    date(2021, 12, 31),  # the baseline (摸底) list: the 存量 on the campaign start
    date(2022, 1, 31),
    date(2022, 2, 28),
    date(2022, 3, 31),
    date(2022, 4, 30),
    date(2022, 5, 31),
    date(2022, 6, 30),
    date(2022, 7, 31),
    date(2022, 8, 31),
    date(2022, 9, 30),
    date(2022, 10, 31),
    date(2022, 11, 30),  # the demo's "today" is 2022-12-31: December's list is not out yet
)
# adcode: (size, monthly clearing probability of an open case)
UNIT_PACE: dict[str, tuple[float, float]] = {
    "341202": (0.9, 0.30),  # 颍州区
    "341203": (0.8, 0.24),  # 颍东区
    "341204": (0.8, 0.27),  # 颍泉区
    "341221": (1.3, 0.20),  # 临泉县
    "341222": (1.3, 0.22),  # 太和县
    "341225": (1.0, 0.09),  # 阜南县: lagging
    "341226": (1.1, 0.08),  # 颍上县: lagging
    "341282": (0.8, 0.25),  # 界首市
}
# code: (baseline cases a unit, new cases a month, key kinds and their weights)
PLAN: dict[str, tuple[float, float, dict[str, int]]] = {
    "V_INSPECTION": (
        9,
        1.2,
        {
            "重中型货车": 8,
            "面包车": 5,
            "危险货物运输车": 2,
            "农村客运车": 2,
            "旅游包车": 1,
            "校车": 1,
        },
    ),
    "V_SCRAP": (4, 0.4, {"重中型货车": 5, "面包车": 3, "农村客运车": 2}),
    "V_VIOLATIONS": (
        6,
        0.8,
        {"重中型货车": 9, "危险货物运输车": 3, "面包车": 4, "旅游包车": 2, "三类以上班线客车": 2},
    ),
    "V_DEREGISTERED_ON_ROAD": (1.5, 0.3, {"重中型货车": 7, "面包车": 3}),
    "V_CONVERTED_COACH": (3, 0.0, {"营转非大中型客车": 1}),
    "V_COACH_57": (2, 0.0, {"三类以上班线客车": 1}),
    "D_REVIEW": (6, 0.8, {}),
    "D_RENEWAL": (4, 0.5, {}),
    "D_12_POINTS": (3, 0.5, {}),
    "D_LICENCE_ABNORMAL": (2, 0.2, {}),
    "E_MONITORING": (1, 0.1, {}),
}
STOCK_PACE = 0.8  # stocks (营转非, 57座) run down a little slower than the unit's pace
REAPPEAR = 0.02  # chance a month that a cleared subject of a unit's list is listed again
WORD_SHARE = 0.65  # share of clearings the next list shows with a clearing word (else absent)
# the enterprises a kind of vehicle belongs to (None: a private owner)
KIND_OWNER: dict[str, tuple[str | None, ...]] = {
    "旅游包车": ("客运",),
    "三类以上班线客车": ("客运",),
    "危险货物运输车": ("危货",),
    "重中型货车": ("货运", None, None),
    "校车": ("校车服务",),
    "面包车": (None,),
    "营转非大中型客车": (None, "客运"),
    "农村客运车": ("客运",),
}
# kind: (号牌种类, 车辆类型 choices, 使用性质, seats range or None)
KIND_FIELDS: dict[str, tuple[str, tuple[str, ...], str, tuple[int, int] | None]] = {
    "旅游包车": ("大型汽车", ("大型普通客车",), "旅游客运", (35, 55)),
    "三类以上班线客车": ("大型汽车", ("大型普通客车", "大型卧铺客车"), "公路客运", (39, 55)),
    "危险货物运输车": ("大型汽车", ("重型罐式货车", "重型半挂牵引车"), "危化品运输", None),
    "重中型货车": (
        "大型汽车",
        ("重型半挂牵引车", "重型仓栅式货车", "重型自卸货车", "中型厢式货车"),
        "货运",
        None,
    ),
    "校车": ("大型汽车", ("大型专用校车", "中型专用校车"), "校车", (19, 45)),
    "面包车": ("小型汽车", ("小型普通客车", "小型面包车"), "非营运", (7, 9)),
    "营转非大中型客车": ("大型汽车", ("大型普通客车", "中型普通客车"), "营转非", (19, 53)),
    "农村客运车": ("大型汽车", ("中型普通客车",), "农村客运", (10, 19)),
}
ENTERPRISE_SUFFIX = {
    "客运": ("客运有限公司", "旅游客运有限公司", "汽车运输有限公司"),
    "危货": ("危险货物运输有限公司", "危化品运输有限公司"),
    "货运": ("运输有限公司", "物流有限公司", "货运有限公司"),
    "校车服务": ("校车服务有限公司",),
}
ENTERPRISE_KINDS = ("客运", "客运", "危货", "货运", "货运", "货运", "校车服务")
BRANDS = (
    "顺达 安通 恒通 盛华 金马 永安 鑫源 中联 宏远 颍淮 皖北 淮河 鼎盛 华运 聚力 汇通 捷运 万通"
    " 惠民 长运 平安 东方 远航 泉河 沙河 润达 天成 金鹏 泰和 兴业 双龙 宝丰 福运 瑞祥 康达 信诚"
    " 广源 通衢 昌盛 国泰 安泰 德润 佳禾 利民 新阳 百顺 谷河 茨淮 润河 和顺 华通 路安 通宝"
    " 旺达 振兴 荣达 祥和 凯达 永兴"
).split()
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = (
    "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 涛 明 超 秀英 华 平 刚 桂英 建华 建国 建军 志强"
    " 海燕 海涛 红梅 晓东 国庆 春林 德明 永胜 振华 立新 文 斌 浩 鹏 辉 亮 宇 飞 凯 俊 峰 波"
    " 玉兰 长春 金山 德胜 广明 春生 秋菊 冬梅 学军 卫东 新民 庆华 志刚 大勇 小龙 子涵 家豪"
).split()
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
SUMMONS_ON = (date(2022, 6, 20), date(2022, 8, 18))  # the two 约谈 recorded


@dataclass
class Row:
    """One subject on one list: its status as the file says, the clearing word (None: still a
    hazard), the indicator's own fields (due, count, points, sightings)."""

    subject_key: str
    status: str
    word: str | None
    due: date | None = None
    count: int | None = None
    points: int | None = None
    sightings: list[tuple[datetime, str]] = field(default_factory=list)


@dataclass
class SourceLists:
    subjects: dict[str, dict]  # subject key → its fields (as a list gives them)
    lists: dict[tuple[date, str, str], list[Row]]  # (as of, indicator, unit) → rows
    summons: list[dict]
    places: dict[str, list[str]]


def id_number(area: str, born: date, seq: int) -> str:
    """A valid 18-digit 身份证明号码 (area code, birth date, sequence, check digit)."""
    body = f"{area}{born:%Y%m%d}{seq:03d}"
    return (
        body + "10X98765432"[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
    )


class _Maker:
    """Makes subjects: enterprises, vehicles and drivers of a unit, each unique."""

    def __init__(self, rng: random.Random, city: City) -> None:
        self.rng, self.city = rng, city
        self.subjects: dict[str, dict] = {}
        self.enterprises: dict[str, dict[str, list[tuple[str, float]]]] = {}  # unit → kind → names
        self.brands = list(BRANDS)
        rng.shuffle(self.brands)
        self.plates: set[str] = set()
        self.ids: set[str] = set()
        for u in UNIT_PACE:
            by_kind: dict[str, list[tuple[str, float]]] = {}
            for kind in ENTERPRISE_KINDS:
                name = self._enterprise(u, kind)
                by_kind.setdefault(kind, []).append((name, rng.paretovariate(2.0)))
            self.enterprises[u] = by_kind

    def _enterprise(self, unit: str, kind: str) -> str:
        brand = self.brands.pop()
        name = f"阜阳{brand}{self.rng.choice(ENTERPRISE_SUFFIX[kind])}"
        self.subjects[f"E:{name}"] = {
            "subject": "enterprise",
            "unit_adcode": unit,
            "name": name,
            "licence_no": f"皖交运管许可阜字{unit}{self.rng.randint(100000, 999999)}号",
            "enterprise_kind": kind,
            "phone": f"0558-{self.rng.randint(2000000, 8999999)}",
        }
        return name

    def enterprise(self, unit: str, kind: str | None) -> str | None:
        if kind is None:
            return None
        names = self.enterprises[unit][kind]
        return self.rng.choices([n for n, _w in names], [w for _n, w in names])[0]

    def person(self) -> str:
        return self.rng.choice(SURNAMES) + self.rng.choice(GIVEN)

    def vehicle(self, unit: str, kind: str, big_coach: bool = False) -> str:
        rng = self.rng
        while True:
            letters = rng.choice((0, 0, 1, 1, 2))
            chars = [rng.choice(PLATE_LETTERS) for _ in range(letters)]
            chars += [str(rng.randint(0, 9)) for _ in range(5 - letters)]
            rng.shuffle(chars)
            plate = "皖K" + "".join(chars)
            if plate not in self.plates:
                break
        self.plates.add(plate)
        plate_kind, types, use, seats = KIND_FIELDS[kind]
        owner_kind = rng.choice(KIND_OWNER[kind])
        ent = self.enterprise(unit, owner_kind)
        self.subjects[f"V:{plate}"] = {
            "subject": "vehicle",
            "unit_adcode": unit,
            "plate": plate,
            "plate_kind": plate_kind,
            "vehicle_kind": kind,
            "vehicle_type": rng.choice(types),
            "use_nature": use,
            "seats": rng.randint(57, 61) if big_coach else (rng.randint(*seats) if seats else None),
            "name": None if ent else self.person(),
            "enterprise": ent,
        }
        return f"V:{plate}"

    def driver(self, unit: str, ab: bool) -> str:
        rng = self.rng
        while True:
            born = date(1962, 1, 1) + timedelta(days=rng.randint(0, 365 * 35))
            number = id_number(unit, born, rng.randint(1, 999))
            if number not in self.ids:
                break
        self.ids.add(number)
        cls = rng.choice(("A1", "A2", "A2", "B2", "B2", "B2", "A1A2", "B1")) if ab else "C1"
        kind = rng.choice(("客运", "货运", "货运", "危货", "校车服务")) if ab else None
        self.subjects[f"D:{number}"] = {
            "subject": "driver",
            "unit_adcode": unit,
            "name": self.person(),
            "id_number": number,
            "licence_class": cls,
            "ab_class": any(c in cls for c in AB_CLASSES),
            "phone": f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10000000, 99999999)}",
            "enterprise": self.enterprise(unit, kind) if kind and rng.random() < 0.5 else None,
        }
        return f"D:{number}"


def generate(
    seed: int, city: City, config: SourceConfig, places: dict[str, list[str]]
) -> SourceLists:
    """Every list of every configured indicator the demo has data for (pure)."""
    rng = random.Random(seed * 7919 + 16)
    maker = _Maker(rng, city)
    lists: dict[tuple[date, str, str], list[Row]] = {}
    for ind in config.indicators:
        if ind.code not in PLAN:
            continue
        for unit in UNIT_PACE:
            for as_of, rows in _unit_lists(rng, maker, ind, unit, places[unit]).items():
                lists[(as_of, ind.code, unit)] = rows
    return SourceLists(maker.subjects, lists, _summons(maker.subjects, lists, config), places)


def _unit_lists(
    rng: random.Random, maker: _Maker, ind: Indicator, unit: str, places: list[str]
) -> dict[date, list[Row]]:
    base, monthly, kinds = PLAN[ind.code]
    size, pace = UNIT_PACE[unit]
    if ind.stock:
        pace *= STOCK_PACE
    open_rows: dict[str, Row] = {}
    cleared: list[tuple[str, int]] = []  # subject, the month it was cleared
    out: dict[date, list[Row]] = {}
    for m, as_of in enumerate(LIST_DATES):
        rows: list[Row] = []
        if m == 0:
            new = max(1, round(base * size * rng.uniform(0.7, 1.3)))
        else:
            new = _poisson(rng, monthly * size)
            for s in list(open_rows):
                if rng.random() < pace:
                    row = open_rows.pop(s)
                    cleared.append((s, m))
                    if rng.random() < WORD_SHARE:
                        rows.append(_cleared_row(rng, ind, row, as_of, places))
        keys = []
        for _ in range(new):
            taken = {*open_rows, *keys, *(r.subject_key for r in rows)}
            s = _new_subject(rng, maker, ind, unit, kinds, taken)
            if s is not None:
                keys.append(s)
        earlier = [s for s, when in cleared if when < m and s not in open_rows]
        if (
            earlier
            and ind.subject != "enterprise"
            and not ind.stock
            and rng.random() < REAPPEAR * size
        ):
            back = rng.choice(earlier)
            cleared.remove((back, next(w for s, w in cleared if s == back)))
            keys.append(back)
        for s in keys:
            open_rows[s] = _new_row(rng, ind, s, as_of)
        for row in open_rows.values():
            rows.append(_listed_again(rng, ind, row, as_of, places))
        out[as_of] = sorted(rows, key=lambda r: r.subject_key)
    return out


def _poisson(rng: random.Random, lam: float) -> int:
    n, p, limit = 0, 1.0, pow(2.718281828459045, -lam)
    while True:
        p *= rng.random()
        if p <= limit:
            return n
        n += 1


def _new_subject(
    rng: random.Random,
    maker: _Maker,
    ind: Indicator,
    unit: str,
    kinds: dict[str, int],
    taken: set[str],
) -> str | None:
    """A subject newly on the unit's list (an enterprise: one of the unit's not on it now)."""
    if ind.subject == "vehicle":
        kind = rng.choices(list(kinds), list(kinds.values()))[0]
        return maker.vehicle(unit, kind, big_coach=ind.code == "V_COACH_57")
    if ind.subject == "driver":
        return maker.driver(unit, ab=ind.ab_only or rng.random() < 0.8)
    names = [n for k in ("客运", "危货", "校车服务") for n, _w in maker.enterprises[unit][k]]
    free = [n for n in names if f"E:{n}" not in taken]
    return f"E:{rng.choice(free)}" if free else None


def _hazard_word(ind: Indicator) -> str:
    return "未整改" if ind.subject == "enterprise" else "未处理"


def _new_row(rng: random.Random, ind: Indicator, s: str, as_of: date) -> Row:
    row = Row(s, _hazard_word(ind), None)
    if ind.code in ("V_INSPECTION", "V_SCRAP", "D_REVIEW", "D_RENEWAL"):
        row.due = as_of - timedelta(days=rng.randint(1, 300 if as_of == LIST_DATES[0] else 28))
    if ind.min_count is not None:
        row.count = rng.randint(ind.min_count, ind.min_count + 9)
    if ind.code == "D_12_POINTS":
        row.points = rng.choice((12, 12, 12, 14, 15, 18, 21, 24))
    return row


def _sightings(rng: random.Random, as_of: date, places: list[str], n: int) -> list:
    days = [as_of - timedelta(days=rng.randint(0, 27)) for _ in range(n)]
    return sorted(
        (
            datetime.combine(d, datetime.min.time()) + timedelta(minutes=rng.randint(360, 1380)),
            rng.choice(places),
        )
        for d in days
    )


def _listed_again(
    rng: random.Random, ind: Indicator, row: Row, as_of: date, places: list[str]
) -> Row:
    """The subject on this month's list, still a hazard (counts grow, new sightings)."""
    if row.count is not None and rng.random() < 0.3:
        row.count += rng.randint(1, 2)
    out = Row(row.subject_key, row.status, None, row.due, row.count, row.points)
    if ind.sightings:
        out.sightings = _sightings(rng, as_of, places, rng.choice((1, 1, 2, 3)))
    return out


def _cleared_row(
    rng: random.Random, ind: Indicator, row: Row, as_of: date, places: list[str]
) -> Row:
    """The subject on this month's list with a clearing word (已检验 …)."""
    word = rng.choice(ind.clear_words)
    out = Row(row.subject_key, word, word, row.due, 0 if row.count is not None else None)
    out.points = row.points
    if ind.sightings:
        out.sightings = _sightings(rng, as_of, places, 1)
    return out


def _summons(
    subjects: dict[str, dict], lists: dict[tuple[date, str, str], list[Row]], config: SourceConfig
) -> list[dict]:
    """Two 约谈: the enterprises with most open cases on the lists before each date."""
    out: list[dict] = []
    done: set[str] = set()
    for on in SUMMONS_ON:
        last = max(d for d in LIST_DATES if d < on)
        open_by: dict[str, tuple[int, str]] = {}
        for (as_of, _ind, unit), rows in lists.items():
            if as_of != last:
                continue
            for r in rows:
                s = subjects[r.subject_key]
                ent = s.get("enterprise") or (s["name"] if s["subject"] == "enterprise" else None)
                if r.word is None and ent:
                    n, _u = open_by.get(ent, (0, unit))
                    open_by[ent] = (n + 1, unit)
        ent, (n, unit) = min(
            ((e, v) for e, v in open_by.items() if e not in done), key=lambda kv: (-kv[1][0], kv[0])
        )
        done.add(ent)
        out.append(
            {
                "enterprise": ent,
                "unit_adcode": unit,
                "summoned_on": on,
                "open_cases": n,
                "note": f"未清零隐患 {n} 起，达到约谈标准（{config.summons_threshold} 起），"
                "约谈企业负责人，责令限期清零",
            }
        )
    return out


DUE_HEADER = {
    "V_INSPECTION": "检验有效期止",
    "V_SCRAP": "强制报废期止",
    "D_REVIEW": "审验有效期止",
    "D_RENEWAL": "应换证日期",
}


def file_rows(ind: Indicator, rows: list[Row], subjects: dict[str, dict]) -> list[dict]:
    """A list as the county's platform exports it (Chinese headers; a sighting a row)."""
    out = []
    for r in rows:
        s = subjects[r.subject_key]
        if ind.subject == "vehicle":
            base = {
                "号牌号码": s["plate"],
                "号牌种类": s["plate_kind"],
                "重点车辆类别": s["vehicle_kind"],
                "车辆类型": s["vehicle_type"],
                "使用性质": s["use_nature"],
                "核定载客": s["seats"],
                "所有人": s["name"] or s["enterprise"],
                "所属企业": s["enterprise"],
            }
        elif ind.subject == "driver":
            base = {
                "姓名": s["name"],
                "身份证明号码": s["id_number"],
                "准驾车型": s["licence_class"],
                "所属企业": s["enterprise"],
                "联系电话": s["phone"],
            }
        else:
            base = {
                "企业名称": s["name"],
                "经营许可证号": s["licence_no"],
                "企业类型": s["enterprise_kind"],
                "联系电话": s["phone"],
            }
        if r.due is not None:
            base[DUE_HEADER[ind.code]] = r.due.isoformat()
        if r.count is not None:
            base[ind.count_label or "违法未处理数"] = r.count
        if r.points is not None:
            base["累积记分"] = r.points
        base["处理状态"] = r.status
        for at, place in r.sightings or [(None, None)]:
            row = dict(base)
            if ind.sightings:
                row["抓拍时间"], row["抓拍地点"] = at.isoformat(sep=" "), place
            out.append(row)
    return out
