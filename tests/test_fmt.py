from datetime import date

import pytest

from analytics import fmt


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (172, "处", "172 处"),
        (7854.0, "万元", "7,854 万元"),
        (18600, "公里", "18,600 公里"),
        (None, "处", "—"),
        (float("nan"), "处", "—"),
        (0, "起", "0 起"),
    ],
)
def test_count(value, unit, text) -> None:
    assert fmt.count(value, unit) == text


def test_percent_and_changes() -> None:
    assert fmt.percent(85 / 172) == "49.4%"
    assert fmt.percent(None) == "—"
    assert fmt.relative_change(-0.125) == "同比 −12.5%"
    assert fmt.relative_change(0.5, "环比") == "环比 +50.0%"
    assert fmt.relative_change(None) == "同比 —"
    assert fmt.relative_change(float("nan")) == "同比 —"
    assert fmt.points_change(0.462, 0.494) == "↑3.2 个百分点"
    assert fmt.points_change(0.5, 0.5) == "持平"
    assert fmt.points_change(0.5, 0.4) == "↓10.0 个百分点"
    assert fmt.decimal(547.795, 3, "公里") == "547.795 公里"
    assert fmt.date_cn(date(2022, 9, 15)) == "2022年9月15日"
