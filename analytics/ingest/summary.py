"""An import's result for the command line: text, JSON, the problem table; the override check."""

from __future__ import annotations

import sys
from pathlib import Path

from analytics import access, inert
from analytics.accounts import auth
from analytics.ingest.common import ImportResult


def as_json(result: ImportResult) -> dict:
    return {
        "kind": result.kind,
        "file": result.file,
        "sha256": result.sha256,
        "rows": result.rows,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "inserted": result.inserted,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "duplicate_file": result.duplicate_file,
        "problems": [p.__dict__ for p in result.problems],
        "warnings": [p.__dict__ for p in result.warnings],
        "unmatched_columns": result.unmatched_columns,
        "not_in_upload": result.not_in_upload,
        "dry_run": result.dry_run,
        "written": result.written,
        "needs_override": result.needs_override,
        "notes": result.notes,
        "changes": [
            {
                "record_id": c.record_id,
                "field": c.field,
                "label": c.label,
                "before": c.before,
                "after": c.after,
                "protected": c.protected,
            }
            for c in result.changes
        ],
    }


def override_problem(override: bool, reason: str | None, user: auth.User) -> str | None:
    """Why --override-protected / --reason cannot be used as given (None: fine)."""
    if reason is not None and not override:
        return "--reason 须与 --override-protected 一起使用"
    if not override:
        return None
    if not access.can(user, "import_override", user.unit_adcode):
        return f"当前账号（{user.role_label}·{user.display_name}）无权在导入时修改受保护字段"
    if not (reason or "").strip():
        return '--override-protected 须用 --reason "理由" 说明为何通过导入修改'
    return None


def print_result(result: ImportResult) -> None:
    if result.duplicate_file:
        print("该文件此前已导入过（内容完全相同），本次未做任何改动。")
        return
    for note in result.notes:
        print(note)
    counts = (
        f"读取 {result.rows} 行：新增 {result.inserted}，更新 {result.updated}，"
        f"未变 {result.unchanged}，拒收 {result.rejected}。"
    )
    print(f"试运行（未写入）：{counts}" if result.dry_run else counts)
    for c in result.changes:
        shown = ["（空）" if v is None or v == "" else v for v in (c.before, c.after)]
        mark = "（受保护）" if c.protected else ""
        print(f"  {c.record_id} {c.label}：{shown[0]} → {shown[1]}{mark}")
    for p in result.problems:
        print(f"  第 {p.row} 行 [{p.column}] {p.value}：{p.problem}", file=sys.stderr)
    if result.needs_override:
        print(
            "以上标为“受保护”的修改须经“一单四制”流程办理，本次未导入任何数据。确需通过导入修改，"
            '请由支队管理员加 --override-protected --reason "理由" 重新导入。',
            file=sys.stderr,
        )


def write_problems(path: Path, result: ImportResult) -> None:
    import pandas as pd

    rows = [(p.row, p.column, p.value, p.problem, "拒收") for p in result.problems]
    rows += [(p.row, p.column, p.value, p.problem, "提示") for p in result.warnings]
    frame = pd.DataFrame(rows, columns=["行号", "列", "内容", "问题", "处理"])
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            inert.write_csv(frame, f)
    else:
        path.write_bytes(inert.workbook({"问题清单": frame}))
