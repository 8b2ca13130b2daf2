"""The sources configuration: the key vehicle kinds, the indicators and the campaign (the file the
city file's [sources] names; data/sources.toml for Fuyang). Indicators are data, not code."""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from analytics.city import City, CityConfigError

SUBJECTS: dict[str, str] = {"vehicle": "车辆", "driver": "驾驶人", "enterprise": "企业"}
AB_CLASSES = ("A1", "A2", "A3", "B1", "B2")


@dataclass(frozen=True)
class VehicleKind:
    name: str
    words: tuple[str, ...]  # found in 使用性质 or 车辆类型


@dataclass(frozen=True)
class Indicator:
    code: str
    name: str
    subject: str  # vehicle | driver | enterprise
    clear_words: tuple[str, ...]
    min_count: int | None = None  # rows count only at or above this (count_label's column)
    count_label: str | None = None
    ab_only: bool = False
    sightings: bool = False  # rows are sightings (several per vehicle)
    stock: bool = False  # a stock to run down (余量清零)
    vehicle_kind: str | None = None  # the key kind of every row of the list

    @property
    def label(self) -> str:
        """How a page names it: 车辆·逾期未检验."""
        return f"{SUBJECTS[self.subject]}·{self.name}"


@dataclass(frozen=True)
class SourceConfig:
    campaign: str
    start: date
    summons_threshold: int
    vehicle_kinds: tuple[VehicleKind, ...]
    indicators: tuple[Indicator, ...]

    def indicator(self, code: str) -> Indicator:
        for i in self.indicators:
            if i.code == code:
                return i
        raise KeyError(code)

    def of(self, subject: str) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.subject == subject)

    def kind_of(self, *texts: str | None) -> str | None:
        """The key kind whose words appear in one of these texts (使用性质, 车辆类型)."""
        for k in self.vehicle_kinds:
            if any(t and w in t for t in texts for w in k.words):
                return k.name
        return None


EMPTY = SourceConfig("", date(2000, 1, 1), 5, (), ())


def load(city: City) -> SourceConfig:
    """The city's sources configuration (EMPTY when its city file names none)."""
    path = city.sources_file
    if path is None:
        return EMPTY
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        raise CityConfigError(f"找不到重点车辆与驾驶人指标配置文件：{path}") from None
    return _load(str(path), mtime)


@functools.lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> SourceConfig:
    try:
        raw = tomllib.loads(Path(path).read_text("utf-8"))
        return parse(raw)
    except tomllib.TOMLDecodeError as e:
        raise CityConfigError(f"指标配置文件格式错误（{path}）：{e}") from None
    except (KeyError, ValueError, TypeError) as e:
        raise CityConfigError(f"指标配置文件有误（{path}）：{e}") from None


def parse(raw: dict) -> SourceConfig:
    """A configuration from its TOML table (tests build small ones this way)."""
    c = raw.get("campaign", {})
    kinds = tuple(
        VehicleKind(str(k["name"]), tuple(str(w) for w in k.get("words", ())))
        for k in raw.get("vehicle_kinds", ())
    )
    names = {k.name for k in kinds}
    out = []
    for i in raw.get("indicators", ()):
        ind = Indicator(
            code=str(i["code"]),
            name=str(i["name"]),
            subject=str(i["subject"]),
            clear_words=tuple(str(w) for w in i.get("clear_words", ())),
            min_count=int(i["min_count"]) if "min_count" in i else None,
            count_label=i.get("count_label"),
            ab_only=bool(i.get("ab_only", False)),
            sightings=bool(i.get("sightings", False)),
            stock=bool(i.get("stock", False)),
            vehicle_kind=i.get("vehicle_kind"),
        )
        if ind.subject not in SUBJECTS:
            raise ValueError(f"指标 {ind.code} 的 subject 须为 {'、'.join(SUBJECTS)}")
        if ind.vehicle_kind is not None and ind.vehicle_kind not in names:
            raise ValueError(
                f"指标 {ind.code} 的 vehicle_kind“{ind.vehicle_kind}”不在 vehicle_kinds 中"
            )
        if ind.min_count is not None and not ind.count_label:
            raise ValueError(f"指标 {ind.code} 设置了 min_count，须同时设置 count_label")
        out.append(ind)
    codes = [i.code for i in out]
    if len(set(codes)) != len(codes):
        raise ValueError("指标代码重复")
    start = c.get("start", date(2000, 1, 1))
    if not isinstance(start, date):
        raise ValueError("[campaign] start 须为日期，如 2022-01-01")
    return SourceConfig(
        campaign=str(c.get("name", "源头隐患清零")),
        start=start,
        summons_threshold=int(c.get("summons_threshold", 5)),
        vehicle_kinds=kinds,
        indicators=tuple(out),
    )
