"""The rules that name a place accident-prone: what is counted, over which window, how much.

A rule is a Params value; PRESETS holds the rules seen in practice (docs/methods.md §三), each editable.
Every figure on screen names the rule that produced it (Params.describe()).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

# measure -> (Chinese name, unit); each accident's value is defined in sql/hotspot_accidents.sql
MEASURES: dict[str, tuple[str, str]] = {
    "accidents": ("事故", "起"),
    "fatal_accidents": ("死亡事故", "起"),
    "deaths": ("死亡人数", "人"),
    "injury_or_fatal_accidents": ("伤亡事故", "起"),
    "score": ("当量事故数", ""),
    "major_accidents": ("一次死亡3人以上事故", "起"),
    "general_procedure_accidents": ("一般程序事故", "起"),
}
MODES = {
    "stake": "桩号法",
    "coords": "坐标聚类法",
    "sliding": "滑动窗口法(HSM)",
    "peak": "峰值搜索法(HSM)",
}
STAKE_LIKE = ("stake", "sliding", "peak")
MILE_M = 1609.344


@dataclass(frozen=True)
class Condition:
    measure: str
    threshold: float

    def describe(self) -> str:
        name, unit = MEASURES[self.measure]
        return f"≥{_num(self.threshold)}{unit}{name}"


@dataclass(frozen=True)
class Params:
    """One rule. window_m: stake window L (stake/sliding) or first window (peak); radius_m: R
    (coords); days: T, the time window ending on the as-of date; conditions: any one suffices,
    the first is the ranking measure; weights: score per fatal / injury / property-only accident;
    step_m: the sliding-window step and the peak-search growth; cv_limit: peak searching."""

    mode: str = "stake"
    days: int = 365
    window_m: int = 500
    radius_m: float = 50.0
    conditions: tuple[Condition, ...] = (Condition("fatal_accidents", 3),)
    weights: tuple[float, float, float] = (12.0, 3.0, 1.0)
    step_m: int = 161
    cv_limit: float = 0.25

    def __post_init__(self) -> None:
        problems = []
        if self.mode not in MODES:
            problems.append(f"未知的识别方法：{self.mode}")
        if self.days < 1:
            problems.append("统计时长须至少1天")
        if self.mode != "coords" and self.window_m < 0:
            problems.append("窗口长度不能为负")
        if self.mode == "coords" and self.radius_m <= 0:
            problems.append("聚类半径须大于0")
        if self.mode in ("sliding", "peak") and (self.step_m <= 0 or self.window_m <= 0):
            problems.append("窗口长度和步长须大于0")
        if not self.conditions:
            problems.append("至少需要一个判定条件")
        problems += [
            f"未知的统计口径：{c.measure}" for c in self.conditions if c.measure not in MEASURES
        ]
        if problems:
            raise ValueError("；".join(problems))

    @property
    def measure(self) -> str:
        return self.conditions[0].measure

    @property
    def rank_measure(self) -> str:
        """What sites are ranked on: the rule's own measure when it has one condition; with
        several conditions (e.g. the city 3-year rule) no single condition orders the sites by
        how bad they are, so the severity-weighted score (当量事故数, the rule's weights).
        Ties are broken by deaths, then accidents."""
        return self.measure if len(self.conditions) == 1 else "score"

    def ranking(self) -> str:
        """How sites are ranked, in words (shown under every site table)."""
        name = MEASURES[self.rank_measure][0]
        if self.rank_measure == "score":
            f, i, p = (_num(w) for w in self.weights)
            name += f"（死亡事故{f}、伤人事故{i}、财产损失事故{p}）"
        return f"排名：按{name}从高到低，相同看死亡人数，再看事故数"

    def with_(self, **changes: object) -> Params:
        return replace(self, **changes)

    def describe(self) -> str:
        """The rule in words, e.g. 桩号法·500米/1年/≥3起死亡事故."""
        span = _days(self.days)
        rule = "或".join(c.describe() for c in self.conditions)
        if self.mode == "coords":
            where = f"半径{_num(self.radius_m)}米"
        elif self.mode == "sliding":
            where = f"窗口{self.window_m}米、步长{self.step_m}米，每条路线取最高窗口"
        elif self.mode == "peak":
            where = f"起始窗口{self.window_m}米、每次增长{self.step_m}米，变异系数<{self.cv_limit}"
        else:
            where = f"{self.window_m}米"
        text = f"{MODES[self.mode]}·{where}/{span}/{rule}"
        if any(c.measure == "score" for c in self.conditions):
            f, i, p = (_num(w) for w in self.weights)
            text += f"（当量：死亡事故{f}、伤人事故{i}、财产损失事故{p}）"
        return text


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _days(days: int) -> str:
    return f"{days // 365}年" if days % 365 == 0 else f"{days}天"


@dataclass(frozen=True)
class Preset:
    label: str
    params: Params
    note: str


PRESETS: dict[str, Preset] = {
    "point_500m_1y": Preset(
        "事故多发点（500米/1年/≥3起死亡事故）",
        Params("stake", 365, 500, conditions=(Condition("fatal_accidents", 3),)),
        "国内最常引用的口径（可调整）",
    ),
    "segment_2km_1y": Preset(
        "事故多发段（2公里/1年/≥3起死亡事故）",
        Params("stake", 365, 2000, conditions=(Condition("fatal_accidents", 3),)),
        "国内最常引用的口径（可调整）",
    ),
    "city_3y": Preset(
        "市级三年口径（2公里/3年）",
        Params(
            "stake",
            1095,
            2000,
            conditions=(
                Condition("major_accidents", 2),
                Condition("fatal_accidents", 3),
                Condition("general_procedure_accidents", 5),
            ),
        ),
        "≥2起一次死亡3人以上事故，或≥3起死亡事故，或≥5起一般程序事故",
    ),
    "mps_10km_1y": Preset(
        "公安部十大路段式（10公里/1年/≥40起事故）",
        Params("stake", 365, 10_000, conditions=(Condition("accidents", 40),)),
        "约10公里桩号范围，一年内事故≥40起，按事故数和死亡人数排名",
    ),
    "uk_cluster_50m_3y": Preset(
        "英国聚类点（半径50米/3年/≥4起伤亡事故）",
        Params(
            "coords", 1095, radius_m=50.0, conditions=(Condition("injury_or_fatal_accidents", 4),)
        ),
        "适用于有坐标无桩号的城市道路",
    ),
    "korea_rural_1000m_3y": Preset(
        "韩国口径·公路（1000米/3年）",
        Params(
            "stake",
            1095,
            1000,
            conditions=(
                Condition("fatal_accidents", 3),
                Condition("injury_or_fatal_accidents", 10),
            ),
        ),
        "≥3起死亡事故或≥10起伤亡事故（原规则为重伤事故，本系统以伤亡事故计）",
    ),
    "korea_urban_600m_3y": Preset(
        "韩国口径·城市（600米/3年）",
        Params(
            "stake",
            1095,
            600,
            conditions=(
                Condition("fatal_accidents", 3),
                Condition("injury_or_fatal_accidents", 10),
            ),
        ),
        "≥3起死亡事故或≥10起伤亡事故（原规则为重伤事故，本系统以伤亡事故计）",
    ),
    "hsm_sliding": Preset(
        "HSM滑动窗口（0.3英里窗口/0.1英里步长/3年/当量）",
        Params(
            "sliding",
            1095,
            round(0.3 * MILE_M),
            step_m=round(0.1 * MILE_M),
            conditions=(Condition("score", 1),),
        ),
        "美国《公路安全手册》：每条路线以其当量最高的窗口代表并排名",
    ),
    "hsm_peak": Preset(
        "HSM峰值搜索（0.1英里起/3年/当量/变异系数<0.25）",
        Params(
            "peak",
            1095,
            round(0.1 * MILE_M),
            step_m=round(0.1 * MILE_M),
            conditions=(Condition("score", 1),),
        ),
        "美国《公路安全手册》：每个路段窗口逐次增长0.1英里，直到变异系数低于0.25",
    ),
}
# The rule for a city whose file names none ([hotspots] default_preset in the city file wins).
DEFAULT_PRESET = "point_500m_1y"


def preset(name: str) -> Params:
    if name not in PRESETS:
        raise ValueError(f"未知的预设口径：{name}（可选：{'、'.join(PRESETS)}）")
    return PRESETS[name].params


def from_options(
    name: str | None = None,
    *,
    mode: str | None = None,
    window_m: int | None = None,
    radius_m: float | None = None,
    days: int | None = None,
    measure: str | None = None,
    threshold: float | None = None,
    weights: tuple[float, float, float] | None = None,
) -> Params:
    """A rule from a preset (default DEFAULT_PRESET) with any of its parameters replaced; a new
    measure or threshold replaces the conditions with that single condition."""
    base = preset(name or DEFAULT_PRESET)
    changes: dict[str, object] = {
        k: v
        for k, v in {
            "mode": mode,
            "window_m": window_m,
            "radius_m": radius_m,
            "days": days,
            "weights": weights,
        }.items()
        if v is not None
    }
    if measure is not None or threshold is not None:
        first = base.conditions[0]
        changes["conditions"] = (
            Condition(
                measure or first.measure, first.threshold if threshold is None else threshold
            ),
        )
    return replace(base, **changes)


def as_dict(params: Params) -> dict[str, object]:
    """The parameters as plain values (for JSON and for showing which rule produced a figure)."""
    return {
        "mode": params.mode,
        "days": params.days,
        "window_m": params.window_m,
        "radius_m": params.radius_m,
        "step_m": params.step_m,
        "cv_limit": params.cv_limit,
        "conditions": [{"measure": c.measure, "threshold": c.threshold} for c in params.conditions],
        "weights": {
            "fatal": params.weights[0],
            "injury": params.weights[1],
            "property": params.weights[2],
        },
        "rule": params.describe(),
    }
