"""The blank hazard-ledger template: canonical headers, drop-down lists, an example, instructions."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from analytics import ledger
from analytics.city import City
from analytics.export import CANONICAL

EXAMPLE = {
    "隐患编号": "341226-YH-2022-001", "乡镇": "慎城镇", "道路名称": "国道105线", "路线编码": "G105",
    "起点桩号": "K871+500", "止点桩号": "K872+000", "坐标系": "WGS84", "隐患类型": "平交路口缺陷",
    "隐患描述": "路口缺少信号灯和渠化设施", "风险等级": "较大", "挂牌督办": "市", "隐患来源": "日常排查",
    "排查日期": "2022-06-03", "入单日期": "2022-06-05", "工作目标": "消除路口隐患",
    "牵头领导": "王某（副县长）", "责任单位": "颍上县交通运输局", "完成标准": "完善信号灯和渠化",
    "完成时限": "2022-09-30", "整改状态": "整改中",
}  # fmt: skip
CHOICES = {
    "隐患类型": ledger.HAZARD_TYPES, "风险等级": ledger.RISK_GRADES,
    "挂牌督办": ledger.SUPERVISION_LEVELS, "隐患来源": ledger.SOURCES, "整改状态": ledger.STATES,
    "坐标系": ("WGS84", "GCJ02", "BD09"),
}  # fmt: skip
INSTRUCTIONS = (
    "每行一处隐患；第一行为表头，请勿改动列名（也可使用常见的其他写法，如“编号”“整改时限”）。",
    "隐患编号必填且不能重复；“序号”只是行号，不能代替编号。再次上传同一编号会更新该隐患，不会删除未出现的隐患。",
    "所属区县可填全称、简称或行政区划代码（如 颍上县、颍上、341226）。",
    "日期可写 2022-06-03、2022/6/3、2022.6.3、2022年6月3日 或 20220603。",
    "桩号可写 K12+300、12公里300米、12.3 等；区段可分列填写起点、止点，或在“桩号”一列写 K12+300-K12+800。",
    "坐标默认 WGS84（GPS、天地图）；高德为 GCJ02，百度为 BD09，请在“坐标系”列注明。",
    "已销号的隐患须填写销号日期和验收人。",
    "有问题的行会连同行号、列名和原因一并列出，默认整份文件不导入，改正后重新上传即可。",
)


def hazard_template(city: City) -> bytes:
    """The template as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = "隐患台账"
    headers = list(CANONICAL)
    sheet.append(headers)
    example = {**EXAMPLE, "所属区县": next(u.name for u in city.units)}
    sheet.append([example.get(h) for h in headers])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F2")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[cell.column_letter].width = max(10, len(cell.value) * 2 + 2)
    sheet.freeze_panes = "A2"
    lists = book.create_sheet("选项")
    columns = {"所属区县": [u.name for u in city.units], **{k: list(v) for k, v in CHOICES.items()}}
    for j, (header, options) in enumerate(columns.items(), start=1):
        lists.cell(1, j, header)
        for i, option in enumerate(options, start=2):
            lists.cell(i, j, option)
        letter = lists.cell(1, j).column_letter
        check = DataValidation(type="list", formula1=f"=选项!${letter}$2:${letter}${len(options) + 1}",
                               allow_blank=True, showErrorMessage=True,
                               errorTitle="请从下拉列表中选择", error=f"{header}须为下拉列表中的一项")  # fmt: skip
        sheet.add_data_validation(check)
        target = sheet.cell(1, headers.index(header) + 1).column_letter
        check.add(f"{target}2:{target}5000")
    notes = book.create_sheet("填写说明")
    notes.append(["填写说明"])
    notes["A1"].font = bold
    for line in INSTRUCTIONS:
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
