"""治理成效: accidents at each closed hazard before listing and after closing, against the city."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from analytics import fmt, geo
from analytics.accidents import effect
from ui import accident_charts as charts
from ui import errors, gate, tables, widgets
from ui.context import Context

CHART_HAZARDS = 30


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    judgeable = ctx.store.cached(
        effect.judgeable_months, as_of, ctx.settings.effect_months, viewer=ctx.user
    )
    months, buffer_m = _settings(ctx, judgeable)
    widgets.header(ctx, "治理成效", as_of, effect.window_text(months, buffer_m))
    _why_shorter(ctx, as_of, judgeable)
    unit = _unit(ctx)
    e = ctx.store.cached(effect.evaluate, as_of, months, buffer_m, unit=unit, viewer=ctx.user)
    _method(ctx, e)
    if e.hazards.empty:
        st.info(f"截至 {as_of} 没有已销号且有位置（桩号或坐标）的隐患，暂无可评价的治理成效。")
        return
    _totals(e)
    full = e.hazards[e.hazards.full]
    st.subheader("各隐患治理前后事故")
    if full.empty:
        first = e.hazards.after_end.min().date()
        st.info(
            f"共 {fmt.count(len(e.hazards), '处')}已销号隐患，但销号后均未满 {months} 个月，"
            f"观察期未满，暂不评价；最早于 {first} 满。可在左侧调小“观察月数”查看较短期的变化。"
        )
    else:
        shown = full[(full.before + full.after) > 0].head(CHART_HAZARDS)
        if shown.empty:
            st.info("观察期已满的隐患在入单前和销号后均无事故记录。")
        else:
            more = f"（列出入单前事故最多的 {len(shown)} 处）" if len(full) > len(shown) else ""
            st.plotly_chart(
                charts.effect_chart(shown, months, f"治理前后事故对比{more}"),
                config={"displaylogo": False},
                key="effect_chart",
            )
    if len(e.hazards) > tables.SHOWN_ROWS:
        st.caption(
            f"表中列出前 {tables.SHOWN_ROWS} 处；下载可获取全部 {fmt.count(len(e.hazards), '处')}。"
        )
    st.dataframe(_table(e.hazards.head(tables.SHOWN_ROWS)), hide_index=True)
    # the whole table is built only when the download is clicked
    tables.download(lambda: _table(e.hazards), "治理成效", f"治理成效_{as_of}_{months}个月.xlsx")


def _settings(ctx: Context, judgeable: int | None) -> tuple[int, int]:
    """The observation months (opening on the longest period that judges any hazard when the
    setting's judges none yet) and the buffer."""
    s = ctx.settings
    with st.sidebar:
        months = st.number_input(
            "观察月数",
            min_value=1,
            max_value=60,
            value=judgeable or s.effect_months,
            step=1,
            key="eff_months",
            help=f"比较入单前与销号后各多少个月（系统默认 {s.effect_months} 个月，可在“数据与设置”查看）",
        )
        buffer_m = st.number_input(
            "缓冲距离（米）",
            min_value=0,
            max_value=5000,
            value=s.effect_buffer_m,
            step=50,
            key="eff_buffer",
            help="隐患路段两端各外延的米数；无桩号的隐患按坐标周围的半径"
            f"（系统默认 {s.effect_buffer_m} 米）",
        )
    return int(months), int(buffer_m)


def _why_shorter(ctx: Context, as_of: date, judgeable: int | None) -> None:
    """Say plainly why the page did not open on the configured observation period."""
    setting = ctx.settings.effect_months
    if judgeable is None or judgeable == setting:
        return
    st.info(
        f"系统设置的观察期为 {setting} 个月，截至 {as_of} 还没有销号满 "
        f"{setting} 个月的隐患，按此设置暂无可评价的治理成效。本页先按可评价的最长观察期 "
        f"{judgeable} 个月显示（入单前 {judgeable} 个月对比销号后 {judgeable} 个月），"
        "结果仅反映短期变化；可在左侧调整“观察月数”。"
    )


def _unit(ctx: Context) -> str | None:
    return widgets.unit_select(
        ctx, st.columns(4)[0], "eff_unit", "区县大队账号只评价本单位的隐患；对比基准为全市"
    )


def _method(ctx: Context, e: effect.Effect) -> None:
    s = ctx.settings
    changed = (e.months, e.buffer_m) != (s.effect_months, s.effect_buffer_m)
    with st.expander("计算方法与所用设置", expanded=False):
        st.markdown(
            f"""
- **对象**：截至 {e.as_of} 已销号、且有位置（桩号或坐标）的隐患。
- **隐患处的事故**：有桩号的，同一路线、桩号在“起点 − {e.buffer_m} 米”至“止点 + {e.buffer_m} 米”之间（含两端）；
  无桩号而有坐标的，与隐患点的球面距离不超过 {e.buffer_m} 米（含）。
- **治理前**：入单日期前 {e.months} 个月（入单前一日止，含首日）；**治理后**：销号次日起 {e.months} 个月（含末日）。
  整改期间（入单至销号）的事故不计入。
- **全市对比**：全市全部事故在同样的日期范围内的变化。
  **比值比** = （治理后 ÷ 治理前，隐患处）÷（治理后 ÷ 治理前，全市）。小于 1 表示该处事故比全市同期下降得多（或上升得少）。
- **合计**：只计销号后已满 {e.months} 个月（销号日期 + {e.months} 个月 ≤ 统计截至日）的隐患；其余为“观察期未满”，
  单列不计入。合计的比值比按各项相加后的数计算。
- **小样本**：入单前不足 {effect.SMALL_SAMPLE} 起的标为“样本较少”，比值易受偶然因素影响；入单前无事故的无法计算比值（显示“—”）。
- **设置**：观察月数 {e.months}（系统默认 {s.effect_months}），
  缓冲距离 {e.buffer_m} 米（系统默认 {s.effect_buffer_m}）{"；本页已临时调整" if changed else ""}。
"""
        )


def _totals(e: effect.Effect) -> None:
    t = e.total
    c = st.columns(5)
    c[0].metric(
        "已销号且有位置", fmt.count(t["hazards"], "处"), help="截至统计日已销号、有桩号或坐标的隐患"
    )
    c[1].metric(
        "观察期已满",
        fmt.count(t["full"], "处"),
        help=f"销号后已满 {e.months} 个月，计入合计；另有 {t['observing']} 处观察期未满",
    )
    c[2].metric(
        "治理前事故",
        fmt.count(t["before"], "起"),
        help=f"观察期已满的隐患入单前 {e.months} 个月内的事故合计",
    )
    c[3].metric(
        "治理后事故",
        fmt.count(t["after"], "起"),
        help=f"观察期已满的隐患销号后 {e.months} 个月内的事故合计",
    )
    rr = t["ratio_of_ratios"]
    c[4].metric(
        "比值比（对比全市）",
        fmt.DASH if rr is None else f"{rr:.2f}",
        help="（治理后 ÷ 治理前，隐患处）÷（治理后 ÷ 治理前，全市同期）；小于 1 表示比全市下降得多",
    )
    st.caption(_sentence(e))


def _sentence(e: effect.Effect) -> str:
    t = e.total
    if t["full"] == 0:
        return f"暂无观察期已满的隐患（{t['observing']} 处观察期未满）。"
    if t["before"] == 0:
        return f"观察期已满的 {t['full']} 处隐患入单前均无事故，无法计算比值。"
    city = fmt.DASH if t["city_ratio"] is None else fmt.relative_change(t["city_ratio"] - 1, "")
    here = fmt.relative_change(t["ratio"] - 1, "").strip()
    text = (
        f"观察期已满的 {t['full']} 处隐患：治理前 {t['before']} 起、治理后 {t['after']} 起（{here}）；"
        f"对照全市在相同时段内（逐处累加）由 {t['city_before']:,} 起变为 {t['city_after']:,} 起"
        f"（{city.strip()}）。"
    )
    if t["ratio_of_ratios"] is not None:
        text += f"扣除全市变化后，隐患处事故为原来的 {t['ratio_of_ratios'] * 100:.0f}%。"
    if t["small"] or t["no_base"]:
        text += f"其中 {t['small']} 处样本较少、{t['no_base']} 处入单前无事故，请结合起数判断。"
    return text


def _table(h: pd.DataFrame) -> pd.DataFrame:
    def place(r: object) -> str:
        if r.mode == "stake":
            return f"{r.route_code} {geo.format_stake_range(r.start_m, r.end_m)}"
        return f"{r.lon:.5f}, {r.lat:.5f}"

    def day(s: pd.Series) -> list[str]:
        return [d.strftime("%Y-%m-%d") for d in s]

    return pd.DataFrame(
        {
            "评价": h.status,
            "比值比": [fmt.DASH if pd.isna(v) else f"{v:.2f}" for v in h.ratio_of_ratios],
            "隐患编号": h.hazard_id,
            "单位": h.unit_name,
            "道路": h.road_name.fillna(""),
            "位置": [place(r) for r in h.itertuples()],
            "隐患类型": h.hazard_type.fillna(""),
            "入单日期": day(h.listed_on),
            "销号日期": day(h.closed_date),
            "治理前（起）": h.before,
            "治理后（起）": h.after,
            "治理前死亡（人）": h.before_deaths,
            "治理后死亡（人）": h.after_deaths,
            "全市治理前（起）": h.city_before,
            "全市治理后（起）": h.city_after,
            "治理前时段": [
                f"{a} 至 {b}" for a, b in zip(day(h.before_start), day(h.before_end), strict=True)
            ],
            "治理后时段": [
                f"{a} 至 {b}" for a, b in zip(day(h.after_start), day(h.after_end), strict=True)
            ],
            "说明": h.note,
        }
    )


errors.guarded(page)
