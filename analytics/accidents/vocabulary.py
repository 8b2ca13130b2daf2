"""The accident record's closed lists: the values the template offers and the analysis filters on."""

from __future__ import annotations

ACCIDENT_CHOICES = {
    "事故形态": (
        "正面相撞",
        "侧面相撞",
        "尾随相撞",
        "对向刮擦",
        "同向刮擦",
        "碾压",
        "翻车",
        "坠车",
        "失火",
        "撞固定物",
        "撞静止车辆",
        "撞行人",
        "其他",
    ),
    "天气": ("晴", "阴", "雨", "雾", "雪", "其他"),
    "事故严重程度": ("财产损失事故", "伤人事故", "死亡事故"),
    "处理程序": ("简易程序", "一般程序"),
    "坐标系": ("WGS84", "GCJ02", "BD09"),
}
