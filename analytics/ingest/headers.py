"""Finding the header row of a county sheet and mapping its columns to hazard fields."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

# field: the canonical header first, then the other spellings seen (docs/operations.md, imports)
HAZARD_HEADERS: dict[str, tuple[str, ...]] = {
    "hazard_id": ("隐患编号", "编号", "隐患点编号"),
    "unit": ("所属区县", "区县", "县区", "单位", "辖区", "所属辖区"),
    "township": ("乡镇", "乡镇/街道", "所在乡镇"),
    "road_name": ("道路名称", "路名", "路段名称", "所在道路"),
    "route_code": ("路线编码", "路线编号", "路号", "公路编号"),
    "start_stake": ("起点桩号",),
    "end_stake": ("止点桩号",),
    "stakes": ("桩号", "起止桩号"),
    "lon": ("经度", "东经", "lng", "lon"),
    "lat": ("纬度", "北纬", "lat"),
    "coord_system": ("坐标系",),
    "hazard_type": ("隐患类型", "隐患类别", "类型"),
    "description": ("隐患描述", "隐患情况", "存在问题", "主要隐患"),
    "risk_grade": ("风险等级", "隐患等级", "等级"),
    "supervision_level": ("挂牌督办", "督办级别"),
    "source": ("隐患来源", "来源", "台账来源"),
    "found_date": ("排查日期", "发现时间", "排查时间"),
    "listed_date": ("入单日期", "认定日期", "列入清单日期"),
    "goal": ("工作目标", "整改目标"),
    "lead_leader": ("牵头领导", "责任领导", "包保领导"),
    "responsible_unit": ("责任单位", "整改单位", "牵头单位", "责任部门"),
    "completion_standard": ("完成标准", "整改标准", "验收标准"),
    "deadline": ("完成时限", "整改时限", "整改期限"),
    "reward_penalty": ("奖惩措施",),
    "measures": ("整改措施",),
    "temporary_controls": ("临时管控措施",),
    "progress": ("整改进展", "进展情况", "整改情况"),
    "state": ("整改状态", "状态", "是否整改"),
    "closed": ("是否销号",),
    "closed_date": ("销号日期", "销号时间"),
    "accept_unit": ("验收单位", "核查单位"),
    "accepted_by": ("验收人", "核查人"),
    "accepted_date": ("验收日期", "核查时间"),
    "funds_wan": ("投入资金(万元)", "投资估算(万元)", "资金"),
    "row_number": ("序号",),
}


def normalize(text: object) -> str:
    """Full-width to half-width, no spaces or line breaks, lower case: for comparing headers."""
    if text is None:
        return ""
    t = unicodedata.normalize("NFKC", str(text))
    return re.sub(r"\s+", "", t).lower()


# field: the usual header first, then other spellings (docs/operations.md, imports)
ACCIDENT_HEADERS: dict[str, tuple[str, ...]] = {
    "accident_id": ("事故编号", "编号"),
    "occurred_at": ("事故时间", "发生时间", "事故发生时间"),
    "occurred_date": ("事故日期", "发生日期"),
    "occurred_time": ("时间", "事故时刻", "发生时刻"),
    "unit": ("所属区县", "行政区划", "区县", "辖区", "单位"),
    "road_name": ("道路名称", "路名"),
    "route_code": ("路线编码", "路号", "路线编号"),
    "km": ("公里数", "公里"),
    "m": ("米数", "米"),
    "stake": ("桩号",),
    "lon": ("经度", "东经", "lng", "lon"),
    "lat": ("纬度", "北纬", "lat"),
    "coord_system": ("坐标系",),
    "deaths": ("死亡人数", "死亡"),
    "injuries": ("受伤人数", "受伤"),
    "loss_yuan": ("直接财产损失(元)", "直接财产损失", "财产损失(元)"),
    "collision_type": ("事故形态",),
    "weather": ("天气",),
    "severity": ("事故严重程度", "事故类型"),
    "procedure": ("处理程序", "适用程序"),
    "legacy_grade": ("事故等级",),
    "row_number": ("序号",),
}


ROAD_HEADERS: dict[str, tuple[str, ...]] = {
    "segment_id": ("路段编号", "编号"),
    "route_code": ("路线编码", "路线编号", "路号", "公路编号"),
    "route_name": ("路线名称", "道路名称", "路名"),
    "road_class": ("技术等级", "公路等级", "道路等级", "行政等级"),
    "name": ("路段名称",),
    "start_stake": ("起点桩号",),
    "end_stake": ("止点桩号",),
    "stakes": ("起止桩号", "桩号"),
    "unit": ("所属区县", "区县", "辖区", "单位"),
    "path": ("路径", "坐标串", "路段坐标"),
    "coord_system": ("坐标系",),
    "row_number": ("序号",),
}


def _lookup(spec: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalize(h): field for field, hs in spec.items() for h in hs}


@dataclass(frozen=True)
class Header:
    row: int  # 0-based index of the last header row
    columns: dict[int, str]  # column index → field
    unmatched: list[str]  # header texts that match no field (listed back to the user)
    top: int | None = None  # 0-based index of the first header row (None: the same as row)

    @property
    def first(self) -> int:
        return self.row if self.top is None else self.top


def find_header(
    rows: list[list[object]], spec: dict[str, tuple[str, ...]] = HAZARD_HEADERS, look: int = 12
) -> Header | None:
    """The header within the first rows: a single row, or two rows of a merged header (the upper
    row's merged cell carried across, the lower row's texts under it). None when none matches."""
    lookup = _lookup(spec)
    best: Header | None = None
    for i in range(min(look, len(rows))):
        for candidate in (_match(rows[i], i, lookup), _double(rows, i, lookup)):
            if candidate and (best is None or len(candidate.columns) > len(best.columns)):
                best = candidate
    return best if best and len(best.columns) >= 3 else None


def _match(cells: list[object], row: int, lookup: dict[str, str]) -> Header:
    columns, unmatched = {}, []
    for j, cell in enumerate(cells):
        key = normalize(cell)
        if not key:
            continue
        field = lookup.get(key)
        if field and field not in columns.values():
            columns[j] = field
        else:
            unmatched.append(str(cell).strip())
    return Header(row, columns, unmatched)


TITLE_PREFIXES = ("填报单位", "填报日期", "填表单位", "填表日期", "填报人", "填表人", "制表")
TITLE_CHARS = 12  # a cell this long, alone in its row (or one of two), is a title, not a header


def is_title_row(cells: list[object]) -> bool:
    """A title above the header: one or two non-empty cells, each long text (the ledger's name)
    or a 填报单位/填报日期/制表 line. Never the upper row of a merged header."""
    texts = [normalize(c) for c in cells if normalize(c)]
    return 0 < len(texts) <= 2 and all(  # one or two cells
        len(t) >= TITLE_CHARS or t.startswith(TITLE_PREFIXES) for t in texts
    )


def _double(rows: list[list[object]], i: int, lookup: dict[str, str]) -> Header | None:
    if i + 1 >= len(rows) or is_title_row(rows[i]):
        return None
    upper, lower = rows[i], rows[i + 1]
    carried, cells = None, []
    for j in range(max(len(upper), len(lower))):
        top = upper[j] if j < len(upper) else None
        bottom = lower[j] if j < len(lower) else None
        carried = top if top is not None else carried
        cells.append(bottom if bottom is not None and normalize(bottom) in lookup else top or None)
        if bottom is not None and normalize(bottom) not in lookup and top is None:
            cells[-1] = f"{carried or ''}{bottom}"
    return replace(_match(cells, i + 1, lookup), top=i)


def column_names(rows: list[list[object]], header: Header | None) -> tuple[int, int, list[str]]:
    """The file's own column names, for showing the file as it is: (first header row, last
    header row, names). A merged header's lower text wins, its upper text names the columns
    merged down; without a known header the first non-empty row is taken. Blank names become
    第N列 and repeated ones get （2）, （3）… so every name is distinct."""
    if header is not None:
        first, last = header.first, header.row
    else:
        first = last = next((i for i, r in enumerate(rows) if any(normalize(c) for c in r)), 0)
    width = max((len(r) for r in rows), default=0)
    names: list[str] = []
    for j in range(width):
        texts = [
            str(rows[i][j]).strip()
            for i in range(last, first - 1, -1)
            if i < len(rows) and j < len(rows[i]) and normalize(rows[i][j])
        ]
        base = texts[0] if texts else f"第{j + 1}列"
        name, k = base, 1
        while name in names:
            k += 1
            name = f"{base}（{k}）"
        names.append(name)
    return first, last, names
