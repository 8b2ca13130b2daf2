"""数据与设置: the settings in force, the database and where each kind of data comes from."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import access, geo
from analytics.accidents import roads
from analytics.city import boundaries
from analytics.config import Settings
from analytics.store import backup, db, pg_backup
from ui import errors, gate, widgets
from ui.context import Context
from ui.text import plain, plain_table

TABLE_LABELS = {
    "units": "单位",
    "routes": "路线",
    "road_segments": "路段",
    "hazards": "隐患",
    "hazard_events": "隐患事件记录",
    "submissions": "表单提交记录",
    "accidents": "事故",
    "imports": "导入记录",
    "upgrade_projects": "生命防护工程项目",
    "accounts": "账号",
    "account_events": "账号操作记录",
    "attachments": "证明材料文件",
    "event_attachments": "事件附件",
    "bulletins": "已签发通报",
    "sessions": "登录会话",
    "source_subjects": "重点车辆、驾驶人和企业",
    "source_snapshots": "源头隐患清单",
    "source_snapshot_rows": "源头隐患清单明细",
    "source_cases": "源头隐患案件",
    "source_case_events": "源头隐患案件记录",
    "source_event_attachments": "源头隐患证明材料",
    "source_summons": "企业约谈记录",
    "pii_views": "个人信息查看记录",
}
SETTING_COLUMNS = {  # the Chinese name first, then the environment variable that sets it
    "label": "设置",
    "env": "环境变量",
    "value": "当前值",
    "default": "默认值",
    "help": "说明",
}
KIND_LABELS = {"district": "区", "county": "县", "city": "县级市", "zone": "功能区"}


def _where(settings: Settings) -> str:
    if settings.database_url:
        return f"共享数据库（PostgreSQL）：`{settings.as_shown('database_url')}`"
    return f"文件：`{settings.db_path}`"


def page() -> None:
    ctx = gate.context(action="view_settings")
    widgets.header(ctx, "数据与设置")

    st.subheader("数据库")
    counts = {TABLE_LABELS[t]: n for t, n in db.table_counts(ctx.cur).items()}
    first, last = ctx.data_span
    st.markdown(
        f"- {_where(ctx.settings)}\n"
        f"- 结构版本：{db.schema_version(ctx.cur)}（程序支持 {db.LATEST_VERSION}）\n"
        f"- 数据时间范围：{first or '—'} 至 {last or '—'}\n"
        f"- 数据性质：{'演示数据（种子 ' + db.dataset_facts(ctx.cur).get('demo_seed', '') + '）' if ctx.is_demo else '导入数据'}"
    )
    st.dataframe(
        pd.DataFrame({"数据表": list(counts), "记录数": list(counts.values())}), hide_index=True
    )

    if access.can(ctx.user, "backup"):
        _backups(ctx)

    st.subheader(f"城市配置：{ctx.city.name}（{ctx.city.adcode}）")
    units = pd.DataFrame(
        {
            "单位代码": [u.adcode for u in ctx.city.units],
            "名称": [u.name for u in ctx.city.units],
            "简称": [u.short for u in ctx.city.units],
            "类型": [KIND_LABELS[u.kind] for u in ctx.city.units],
            "别名": ["、".join(u.aliases) for u in ctx.city.units],
            "驻地（经度, 纬度）": [
                f"{u.seat[0]:.2f}, {u.seat[1]:.2f}" if u.seat else "—" for u in ctx.city.units
            ],
        }
    )
    st.dataframe(units, hide_index=True)
    m = ctx.city.map
    n_outlines = len(boundaries(ctx.city)["features"])
    st.markdown(
        f"- 配置文件：`{ctx.city.source}`\n"
        f"- 边界文件：`{m.boundary_file or '无'}`（{n_outlines} 个单位轮廓，原坐标系 "
        f"{m.boundary_coord_system}，已转换为 WGS-84）\n"
        f"- 底图：{'无（离线可用）' if not m.basemap_url else plain(m.basemap_url)}"
    )

    r = roads.routes(ctx.cur)
    routes = pd.DataFrame(
        {
            "路线编码": r.route_code,
            "路线名称": r.name,
            "等级": r.road_class,
            "起点桩号": [geo.format_stake(m) for m in r.start_m],
            "止点桩号": [geo.format_stake(m) for m in r.end_m],
            "来源": r.provenance,
        }
    )
    if len(routes):
        st.subheader("路线")
        st.dataframe(routes, hide_index=True)

    st.subheader("运行设置")
    st.caption("通过环境变量修改，重启后生效。")
    rows = pd.DataFrame(ctx.settings.as_rows())
    settings = rows[list(SETTING_COLUMNS)].rename(columns=SETTING_COLUMNS)
    st.table(plain_table(settings.set_index("设置")))


def _backups(ctx: Context) -> None:
    st.subheader("备份")
    folder = ctx.settings.backup_dir
    key_file = pg_backup.default_key_file(ctx.settings)
    if st.button("立即备份", icon=":material/backup:", help=f"写入 {folder}"):
        try:
            for left in backup.clean_partials(folder):
                st.warning(f"已清理上次未完成的备份残留：{left.name}")
            made = pg_backup.make_backup(
                ctx.settings, ctx.cur, folder, label="app", key_file=key_file
            )
        except backup.BackupError as e:
            st.error(plain(e))
        else:
            st.success(f"已备份到 {made}")
    try:
        key = backup.load_key(key_file) if key_file.exists() else None
    except backup.BackupError as e:
        st.warning(str(e))
        key = None
    found = backup.list_backups(folder, key) if folder.exists() else []
    if found:
        st.dataframe(
            pd.DataFrame(
                {
                    "备份": [b["folder"].name for b in found],
                    "时间": [b["created_at"].strftime("%Y-%m-%d %H:%M") for b in found],
                    "类型": [b["label"] for b in found],
                    "结构版本": [b["schema_version"] for b in found],
                    "隐患数": [b["hazards"] for b in found],
                    "签名": [SIGNED[b["verified"]] for b in found],
                }
            ),
            hide_index=True,
        )
    st.caption(
        _RESTORE_SHARED if ctx.settings.database_url else _RESTORE_FILE.format(key_file.name)
    )


_RESTORE_FILE = (
    "恢复备份须在服务器上停止本系统后运行：python -m analytics restore 备份目录 --db 数据库文件。"
    "备份清单用密钥文件 {}（与数据库文件同目录）签名，恢复时逐个核对；"
    "在另一台服务器恢复须另行带上此密钥文件（不要放进备份目录）。"
)
_RESTORE_SHARED = (
    "共享数据库（PostgreSQL）的备份用 PostgreSQL 自带的导出工具导出，连同证明材料文件保存在备份目录中。"
    "本页面不提供恢复：恢复须在服务器上运行命令 python -m analytics restore 备份目录"
    " --db postgresql://…/新数据库名，只恢复到新建的空数据库，不会覆盖现有数据；"
    "恢复完成后将设置 HAZARDS_DATABASE_URL 指向该数据库并重启本系统。备份清单用密钥文件"
    f" {pg_backup.KEY_NAME}（备份目录的上一级目录）签名，恢复时逐个核对；"
    "在另一台服务器恢复须另行带上此密钥文件（在命令中指定其位置，不要放进备份目录）。"
)


SIGNED = {True: "✓ 有效", False: "✗ 无效（旧格式或已被修改）", None: "— 未核对（无密钥）"}


errors.guarded(page)
