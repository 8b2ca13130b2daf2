"""The blank hazard-ledger template: canonical headers, drop-down lists, an example, instructions."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from analytics.accidents.vocabulary import ACCIDENT_CHOICES
from analytics.city import City
from analytics.ledger import vocabulary as ledger
from analytics.ledger.export import CANONICAL
from analytics.sources.config import SourceConfig

EXAMPLE = {
    "隐患编号": "示例-隐患-001",
    "乡镇": "慎城镇",
    "道路名称": "国道105线",
    "路线编码": "G105",
    "起点桩号": "K871+500",
    "止点桩号": "K872+000",
    "坐标系": "WGS84",
    "隐患类型": "平交路口缺陷",
    "隐患描述": "路口缺少信号灯和渠化设施",
    "风险等级": "较大",
    "挂牌督办": "市",
    "隐患来源": "日常排查",
    "排查日期": "2022-06-03",
    "入单日期": "2022-06-05",
    "工作目标": "消除路口隐患",
    "牵头领导": "王某（副县长）",
    "责任单位": "颍上县交通运输局",
    "完成标准": "完善信号灯和渠化",
    "完成时限": "2022-09-30",
    "整改状态": "整改中",
}
CHOICES = {
    "隐患类型": ledger.ALL_HAZARD_TYPES,
    "风险等级": ledger.RISK_GRADES,
    "挂牌督办": ledger.SUPERVISION_LEVELS,
    "隐患来源": ledger.SOURCES,
    "整改状态": ledger.STATES,
    "坐标系": ("WGS84", "GCJ02", "BD09"),
}
EXAMPLE_NOTE = (
    "第 2 行是示例（编号以“示例”开头），导入时自动跳过；可直接在其下方填写，或删除后填写。"
)
INSTRUCTIONS = (
    EXAMPLE_NOTE,
    "每行一处隐患；第一行为表头，请勿改动列名（也可使用常见的其他写法，如“编号”“整改时限”）。",
    "隐患编号必填且不能重复；“序号”只是行号，不能代替编号。再次上传同一编号会更新该隐患，不会删除未出现的隐患；"
    "文件中没有的列、空着的单元格不会改动已有内容。",
    "已有隐患的流程状态、风险等级、挂牌督办、入单日期、五要件（工作目标、牵头领导、责任单位、完成标准、完成时限）"
    "和验收销号信息须在隐患详情页按“一单四制”流程办理，导入不会修改；区县大队新上报的隐患为“待认定”。",
    "所属区县可填全称、简称或行政区划代码（如 颍上县、颍上、341226）。",
    "日期可写 2022-06-03、2022/6/3、2022.6.3、2022年6月3日 或 20220603。",
    "桩号可写 K12+300、12公里300米、12.3 等；区段可分列填写起点、止点，或在“桩号”一列写 K12+300-K12+800。",
    "坐标默认 WGS84（GPS、天地图）；高德为 GCJ02，百度为 BD09，请在“坐标系”列注明。",
    "已销号的隐患须填写销号日期和验收人。",
    "有问题的行会连同行号、列名和原因一并列出，默认整份文件不导入，改正后重新上传即可。",
)


ACCIDENT_HEADERS = (
    "事故编号",
    "事故时间",
    "所属区县",
    "道路名称",
    "路线编码",
    "公里数",
    "米数",
    "经度",
    "纬度",
    "坐标系",
    "死亡人数",
    "受伤人数",
    "直接财产损失(元)",
    "事故形态",
    "天气",
    "事故严重程度",
    "处理程序",
)
ACCIDENT_EXAMPLE = {
    "事故编号": "示例-事故-001",
    "事故时间": "2022-06-03 14:30",
    "道路名称": "国道105线",
    "路线编码": "G105",
    "公里数": 871,
    "米数": 500,
    "坐标系": "WGS84",
    "死亡人数": 0,
    "受伤人数": 1,
    "直接财产损失(元)": 3000,
    "事故形态": "侧面相撞",
    "天气": "晴",
    "事故严重程度": "伤人事故",
    "处理程序": "一般程序",
}
ACCIDENT_INSTRUCTIONS = (
    EXAMPLE_NOTE,
    "每行一起事故；事故编号必填且不能重复，再次上传同一编号会更新该事故。",
    "事故时间可写 2022-06-03 14:30，也可将日期和时间分成“事故日期”“时间”两列。",
    "位置：填写路线编码和公里数、米数（或“桩号”一列），或填写经纬度；两者都没有的行不会导入。",
    "所属区县可填全称、简称或代码；不填时按经纬度所在区县确定。",
    "事故严重程度须与伤亡人数一致：有死亡为死亡事故，有受伤为伤人事故，否则为财产损失事故。",
    "死亡事故须适用一般程序。",
)


def _template(
    city: City,
    title: str,
    headers: list[str],
    example: dict,
    choices: dict,
    instructions: tuple[str, ...],
) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(headers)
    sheet.append([example.get(h) for h in headers])
    grey = Font(italic=True, color="808080")
    for cell in sheet[2]:  # the example row looks like one; its id (示例…) makes the import skip it
        cell.font = grey
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F2")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        sheet.column_dimensions[cell.column_letter].width = max(10, len(cell.value) * 2 + 2)
    sheet.freeze_panes = "A2"
    lists = book.create_sheet("选项")
    columns = {"所属区县": [u.name for u in city.units], **{k: list(v) for k, v in choices.items()}}
    for j, (header, options) in enumerate(columns.items(), start=1):
        lists.cell(1, j, header)
        for i, option in enumerate(options, start=2):
            lists.cell(i, j, option)
        letter = lists.cell(1, j).column_letter
        check = DataValidation(
            type="list",
            formula1=f"=选项!${letter}$2:${letter}${len(options) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle="请从下拉列表中选择",
            error=f"{header}须为下拉列表中的一项",
        )
        sheet.add_data_validation(check)
        target = sheet.cell(1, headers.index(header) + 1).column_letter
        check.add(f"{target}2:{target}5000")
    notes = book.create_sheet("填写说明")
    notes.append(["填写说明"])
    notes["A1"].font = bold
    for line in instructions:
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


ROAD_HEADERS = (
    "路段编号",
    "路线编码",
    "路线名称",
    "技术等级",
    "起点桩号",
    "止点桩号",
    "所属区县",
    "路径",
    "坐标系",
)
ROAD_EXAMPLE = {
    "路段编号": "示例-路段-001",
    "路线编码": "G105",
    "路线名称": "国道105线",
    "技术等级": "国道",
    "起点桩号": "K871+000",
    "止点桩号": "K873+000",
    "路径": "115.80,32.88;115.81,32.89",
    "坐标系": "WGS84",
}
ROAD_INSTRUCTIONS = (
    EXAMPLE_NOTE,
    "每行一个路段；路段编号必填且不能重复，再次上传同一编号会更新该路段。",
    "起止桩号必填（也可在“起止桩号”一列写 K871+000-K873+000）。",
    "路径为路段沿线各点的“经度,纬度”，用分号分隔，至少两个点。",
    "所属区县可不填，按路径中点所在区县确定。",
)

ROAD_CHOICES = {
    "技术等级": ("高速公路", "国道", "省道", "县道", "乡道", "城市道路"),
    "坐标系": ("WGS84", "GCJ02", "BD09"),
}
# kind: sheet title, headers, example row, drop-down lists, instructions
TEMPLATES = {
    "hazards": ("隐患台账", tuple(CANONICAL), EXAMPLE, CHOICES, INSTRUCTIONS),
    "accidents": (
        "事故记录",
        ACCIDENT_HEADERS,
        ACCIDENT_EXAMPLE,
        ACCIDENT_CHOICES,
        ACCIDENT_INSTRUCTIONS,
    ),
    "roads": ("路段", ROAD_HEADERS, ROAD_EXAMPLE, ROAD_CHOICES, ROAD_INSTRUCTIONS),
}


def template(kind: str, city: City, unit_adcode: str | None = None) -> bytes:
    """The blank template of an import kind (hazards, accidents, roads) as .xlsx bytes; a
    brigade's (``unit_adcode``) example row names its own unit."""
    title, headers, example, choices, instructions = TEMPLATES[kind]
    unit = next((u for u in city.units if u.adcode == unit_adcode), city.units[0])
    example = {**example, "所属区县": unit.name}
    return _template(city, title, list(headers), example, choices, instructions)


# 人·车·企 lists (analytics.ingest.sources): one blank list per subject; the example row's key
# (号牌号码, 身份证明号码, 企业名称) begins with 示例, so the import skips it before any check.
SOURCE_HEADERS = {
    "vehicle": (
        "号牌号码",
        "号牌种类",
        "重点车辆类别",
        "使用性质",
        "车辆类型",
        "核定载客",
        "所属企业",
        "所有人",
        "联系电话",
        "所属区县",
        "处理状态",
        "检验有效期止",
        "违法未处理数",
        "抓拍时间",
        "抓拍地点",
    ),
    "driver": (
        "姓名",
        "身份证明号码",
        "准驾车型",
        "驾驶证状态",
        "所属企业",
        "联系电话",
        "所属区县",
        "处理状态",
        "审验有效期止",
        "累积记分",
    ),
    "enterprise": ("企业名称", "经营许可证号", "企业类型", "联系电话", "所属区县", "处理状态"),
}
SOURCE_EXAMPLES = {
    "vehicle": {
        "号牌号码": "示例-皖K12345",
        "号牌种类": "大型汽车",
        "使用性质": "旅游客运",
        "车辆类型": "大型普通客车",
        "核定载客": 45,
        "所属企业": "某某旅游客运有限公司",
        "检验有效期止": "2021-12-31",
    },
    "driver": {
        "姓名": "张某",
        "身份证明号码": "示例-341226198001010017",
        "准驾车型": "A1",
        "驾驶证状态": "正常",
        "所属企业": "某某旅游客运有限公司",
        "审验有效期止": "2021-12-31",
    },
    "enterprise": {
        "企业名称": "示例-某某旅游客运有限公司",
        "经营许可证号": "皖交运管许可阜字341200000001号",
        "企业类型": "客运",
    },
}
SOURCE_TITLES = {
    "vehicle": "重点车辆清单",
    "driver": "重点驾驶人清单",
    "enterprise": "运输企业清单",
}
SOURCE_INSTRUCTIONS = (
    "第 2 行是示例（号牌号码、身份证明号码或企业名称以“示例”开头），导入时自动跳过；"
    "可直接在其下方填写，或删除后填写。",
    "一份清单是某一指标（如“逾期未检验”）在清单日期的完整名单，每行一个对象；导入时在页面上选择指标和清单日期。",
    "名单上的对象为隐患，尚无案件的新增一件；上次名单上有、本次没有的对象，或“处理状态”写明已清零"
    "（如 已检验、已报废、已注销）的对象，按清单日期清零。因此请上传完整名单，不要只上传新增部分。",
    "清单是一个整体：任何一行有问题，整份清单都不导入，改正后重新上传即可。",
    "同一单位同一指标的清单须按日期先后导入，新清单的日期须晚于上一份。",
    "所属区县可填全称、简称或行政区划代码；区县大队上传本单位清单时可不填。",
    "车辆：无“重点车辆类别”列时，按“使用性质”“车辆类型”判断（如 旅游客运、危险货物运输、校车）。"
    "“违法未处理”清单须填“违法未处理数”；“已注销/报废仍上路”清单每行一次抓拍，须填抓拍时间和地点。",
    "驾驶人：身份证明号码须为 18 位且校验码正确；“逾期未审验”只统计 A、B 类驾驶人。",
    "姓名、身份证明号码、联系电话属个人信息，系统中默认隐藏显示，查看全文会留下记录。",
)


def sources_template(
    subject: str, city: City, config: SourceConfig, unit_adcode: str | None = None
) -> bytes:
    """The blank list of one subject (vehicle, driver, enterprise) as .xlsx bytes, with drop-down
    lists of the key vehicle kinds and the subject's clearing words; a brigade's example row
    names its own unit."""
    unit = next((u for u in city.units if u.adcode == unit_adcode), city.units[0])
    words = dict.fromkeys(w for i in config.of(subject) for w in i.clear_words)
    choices: dict = {"处理状态": tuple(words)}
    if subject == "vehicle":
        choices["重点车辆类别"] = tuple(k.name for k in config.vehicle_kinds)
    return _template(
        city,
        SOURCE_TITLES[subject],
        list(SOURCE_HEADERS[subject]),
        {**SOURCE_EXAMPLES[subject], "所属区县": unit.name},
        choices,
        SOURCE_INSTRUCTIONS,
    )
