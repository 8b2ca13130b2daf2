"""事故多发点段: the accident-prone sites of a rule (a preset, every parameter editable), whether
a hazard on the list covers each, and — for administrators — putting an uncovered one on the list."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from analytics import access, fmt
from analytics.accidents import rules
from analytics.accidents import site_tables as hotspot_tables
from analytics.accidents import sites as hotspots
from analytics.accounts import auth
from analytics.city import City
from analytics.ledger.workflow import ConflictError, DuplicateSubmission, WorkflowError
from ui import errors, gate, tables, widgets
from ui.context import Context
from ui.text import plain

SHOWN = 500


def page() -> None:
    ctx = gate.context()
    as_of = widgets.as_of_control(ctx)
    widgets.header(ctx, "事故多发点段", as_of)
    params = _rule_controls(ctx.city)
    start = as_of - timedelta(days=params.days - 1)
    st.caption(f"识别规则：{params.describe()}；统计时段 {start} 至 {as_of}")
    sites = ctx.store.cached(hotspots.find_sites, as_of, params, viewer=ctx.user)
    uncovered = sum(1 for c in sites["covered_by"] if not len(c))
    c = st.columns(4)
    c[0].metric("事故多发点段", fmt.count(len(sites), "处"))
    c[1].metric("尚未列入隐患清单", fmt.count(uncovered, "处"))
    c[2].metric("涉及事故", fmt.count(int(sites["accidents"].sum()) if len(sites) else 0, "起"))
    c[3].metric("涉及死亡", fmt.count(int(sites["deaths"].sum()) if len(sites) else 0, "人"))
    if sites.empty:
        st.info(
            f"按“{params.describe()}”，{start} 至 {as_of} 无事故多发点段。"
            "可更换口径、延长统计时长或调整统计截至日期。"
        )
        return
    table = hotspot_tables.table(sites, params)
    st.caption(
        f"{params.ranking()}；点击一行查看点段详情"
        + ("、办理入单。" if access.can(ctx.user, "list_site") else "。")
    )
    event = st.dataframe(
        table.head(SHOWN),
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="sites_table",
    )
    if len(table) > SHOWN:
        st.caption(f"表中列出前 {SHOWN} 处，下载可获取全部 {len(table)} 处。")
    tables.download(table, "事故多发点段", f"事故多发点段_{as_of}.xlsx")
    if event.selection.rows:
        _detail(ctx, sites.iloc[event.selection.rows[0]], as_of, params)


def _rule_controls(city: City) -> rules.Params:
    names = list(rules.PRESETS)
    name = st.selectbox(
        "识别口径",
        names,
        index=names.index(city.hotspot_preset),
        format_func=lambda n: rules.PRESETS[n].label,
        key="hotspot_preset",
    )
    base = rules.PRESETS[name]
    st.caption(f"{base.note}。本市默认口径（城市配置）：{rules.PRESETS[city.hotspot_preset].label}")
    p = base.params
    with st.expander("调整参数（口径中的每个数值都可修改）"):
        c = st.columns(4)
        mode = c[0].selectbox(
            "方法",
            list(rules.MODES),
            index=list(rules.MODES).index(p.mode),
            format_func=rules.MODES.get,
            key=f"hs_mode_{name}",
        )
        days = c[1].number_input("统计时长（天）", 1, 3650, p.days, key=f"hs_days_{name}")
        if mode == "coords":
            radius = c[2].number_input(
                "聚类半径（米）", 1.0, 5000.0, float(p.radius_m), key=f"hs_radius_{name}"
            )
            window = p.window_m
        else:
            window = c[2].number_input(
                "窗口长度（米）",
                1 if mode in ("sliding", "peak") else 0,
                100_000,
                p.window_m,
                key=f"hs_window_{name}",
            )
            radius = p.radius_m
        first = p.conditions[0]
        measures = list(rules.MEASURES)
        measure = c[3].selectbox(
            "统计指标",
            measures,
            index=measures.index(first.measure),
            format_func=lambda m: rules.MEASURES[m][0],
            key=f"hs_measure_{name}",
        )
        c = st.columns(4)
        threshold = c[0].number_input(
            "阈值（≥）", 0.0, 100_000.0, float(first.threshold), key=f"hs_threshold_{name}"
        )
        weights = tuple(
            c[i + 1].number_input(
                f"当量权重·{label}", 0.0, 1000.0, float(p.weights[i]), key=f"hs_w{i}_{name}"
            )
            for i, label in enumerate(("死亡事故", "伤人事故", "财产损失事故"))
        )
        if len(p.conditions) > 1:
            st.caption(
                "此口径含多个条件（满足其一即可）；修改指标或阈值后仅按修改后的单一条件判定。"
            )
    changed_condition = (measure, threshold) != (first.measure, float(first.threshold))
    try:
        return rules.from_options(
            name,
            mode=mode,
            window_m=int(window),
            radius_m=float(radius),
            days=int(days),
            measure=measure if changed_condition else None,
            threshold=threshold if changed_condition else None,
            weights=weights,
        )
    except ValueError as e:
        st.error(f"参数有误：{plain(e)}。已改用预设口径。")
        return p


def _detail(ctx: Context, site: pd.Series, as_of, params: rules.Params) -> None:
    st.subheader(f"点段详情：{plain(hotspot_tables.place(site))}")
    c = st.columns(5)
    c[0].metric("事故", fmt.count(int(site["accidents"]), "起"))
    c[1].metric("死亡事故", fmt.count(int(site["fatal_accidents"]), "起"))
    c[2].metric("死亡", fmt.count(int(site["deaths"]), "人"))
    c[3].metric("受伤", fmt.count(int(site["injuries"]), "人"))
    c[4].metric("当量事故数", f"{float(site['score']):g}")
    month = f"{int(site['peak_month'])}月" if pd.notna(site["peak_month"]) else "—"
    st.markdown(
        f"所属单位：{plain(site['unit_name'])}；道路：{plain(site['road_name']) or '—'}；"
        f"主要事故形态：{plain(site['top_collision_type']) or '—'}；高发月份：{month}。"
    )
    with st.expander(f"构成该点段的事故（{int(site['accidents'])}起）"):
        found = ctx.store.cached(
            hotspots.site_accident_list, as_of, params, site["site_key"], viewer=ctx.user
        )
        st.dataframe(hotspot_tables.accident_table(found), hide_index=True)
    covered = list(site["covered_by"])
    if covered:
        st.success(f"已由隐患 {plain('、'.join(covered))} 覆盖。")
        if st.button("查看覆盖该点段的隐患", key="open_cover"):
            widgets.open_hazard(covered[0])
    elif access.can(ctx.user, "list_site"):
        st.warning("该点段尚未列入隐患清单。")
        if st.button("列入隐患清单（待认定）", type="primary", key="list_site"):
            try:
                token = widgets.submission_token(
                    ctx.user, "list_site", site["site_key"], ctx.today()
                )
                hid = hotspots.put_on_list(
                    ctx.cur, ctx.user, site.to_dict(), params, ctx.now(), token=token
                )
            except DuplicateSubmission as e:
                st.warning(plain(e), icon=":material/content_copy:")
            except (WorkflowError, ConflictError, auth.AuthError) as e:
                st.error(plain(e))
            else:
                st.session_state["listed_site"] = hid
                st.rerun()
    else:
        st.warning("该点段尚未列入隐患清单，请联系支队管理员认定入单。")
    if hid := st.session_state.pop("listed_site", None):
        st.success(f"已列入隐患清单：{plain(hid)}（待认定，来源“事故分析”）。")


errors.guarded(page)
