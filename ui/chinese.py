"""Streamlit's own English on widgets and menus, shown in Chinese (CSS for what is drawn at once,
a script for what appears on interaction)."""

from __future__ import annotations

import json

import streamlit as st

# Streamlit 1.67 has no locale setting: its own English words on the widgets are replaced here
# by CSS (the English text shrinks to nothing, the Chinese comes from ::after), keyed on the
# data-testid attributes of streamlit/static (checked in Chromium). The limit of each file
# uploader is stated in its label (the English "10MB per file" line is replaced).
_CHINESE_WIDGETS = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p,
[data-testid="stFileUploaderDropzoneInstructions"] span,
[data-testid="stFileChip"][aria-invalid="true"] [role="alert"],
[data-testid="stCameraInputButton"],
[data-testid="stCameraInputWebcamComponent"] p,
[data-testid="stSkipToContent"] { font-size: 0 !important; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "选择文件"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "或将文件拖放到此处"; font-size: 0.875rem; }
[data-testid="stFileChip"][aria-invalid="true"] [role="alert"]::after {
  content: "文件过大或类型不符，未上传，请移除"; font-size: 0.75rem; }
[data-testid="stCameraInputButton"]::after { content: "拍照"; font-size: 1rem; }
[data-testid="stCameraInputButton"]:has(*)::after { content: "清除照片"; }
[data-testid="stCameraInputWebcamComponent"] p::after { font-size: 0.875rem;
  content: "请允许本页面使用摄像头（浏览器地址栏中的摄像头图标）。浏览器只在 https 或本机地址下提供摄像头，否则请用“选择文件”拍照上传。"; }
[data-testid="stSkipToContent"]::after { content: "跳到正文"; font-size: 1rem; }
@media (max-width: 640px) { .modebar-container { display: none !important; } }
</style>"""
# the tooltips of plotly's chart toolbar (drawn from data-title by ::after)
_PLOTLY_TITLES = {
    "Download plot as a png": "下载为图片",
    "Download plot as a PNG": "下载为图片",
    "Download plot as png": "下载为图片",
    "Download plot as an svg": "下载为图片",
    "Download plot as JSON": "下载图表数据（JSON）",
    "Download plot": "下载为图片",
    "Zoom": "框选放大",
    "Pan": "平移",
    "Zoom in": "放大",
    "Zoom out": "缩小",
    "Autoscale": "自动缩放",
    "Reset axes": "复原坐标轴",
    "Reset view": "复原视图",
    "Box Select": "框选",
    "Lasso Select": "套索选择",
    "Toggle Spike Lines": "显示参考线",
    "Show closest data on hover": "悬停显示最近数据",
    "Compare data on hover": "悬停对比数据",
    "Fullscreen": "全屏",
    "Exit fullscreen": "退出全屏",
    "Close fullscreen": "退出全屏",
    "Orbital rotation": "旋转",
    "Turntable rotation": "旋转",
    "Reset camera to default": "复原视角",
    "Reset camera to last save": "复原视角",
}
_CHINESE_WIDGETS = _CHINESE_WIDGETS.replace(
    "</style>",
    "".join(
        f'.modebar-btn[data-title="{en}"]::after {{ content: "{zh}" !important; }}\n'
        for en, zh in _PLOTLY_TITLES.items()
    )
    + "</style>",
)


# Streamlit's English that appears only on interaction (table toolbars and menus, typing hints,
# empty selects): replaced in the page by a script. Exact texts, as Streamlit's bundle writes them.
_INTERACTION_WORDS = {
    "Show/hide columns": "显示/隐藏列",
    "Download as CSV": "下载为 CSV",
    "Search": "搜索",
    "Fullscreen": "全屏",
    "Close fullscreen": "退出全屏",
    "Type to search": "输入以搜索",
    "Close Search": "关闭搜索",
    "Next Result": "下一个",
    "Previous Result": "上一个",
    "Select all": "全选",
    "(index)": "（序号）",
    "Clear selection": "清除选择",
    "Sort ascending": "升序排列",
    "Sort descending": "降序排列",
    "Statistics": "统计",
    "Format": "数字格式",
    "Autosize": "自动列宽",
    "Pin column": "固定此列",
    "Unpin column": "取消固定",
    "Hide column": "隐藏此列",
    "Copy column name": "复制列名",
    "Count": "计数",
    "Distinct": "不同值",
    "Minimum": "最小值",
    "Maximum": "最大值",
    "Average": "平均值",
    "Median": "中位数",
    "Sum": "合计",
    "Standard deviation": "标准差",
    "Range": "范围",
    "Empty": "空值",
    "Values": "取值",
    "Minimum length": "最短长度",
    "Maximum length": "最长长度",
    "Average length": "平均长度",
    "Based on sample": "基于抽样",
    "Automatic": "自动",
    "Localized": "本地格式",
    "Plain": "原值",
    "Percent": "百分比",
    "Scientific": "科学计数",
    "Accounting": "会计格式",
    "Compact": "紧凑",
    "Dollar": "美元",
    "Euro": "欧元",
    "Yen": "日元",
    "Distance": "相对时间",
    "Calendar": "日历",
    "No results": "无匹配项",
    "No options": "无可选项",
    "No data": "无数据",
    "Choose an option": "请选择",
    "Choose options": "请选择",
    "Loading...": "加载中…",
    "Press Enter to apply": "按回车键确认",
    "Press Enter to submit form": "按回车键提交",
    "Press Ctrl+Enter to apply": "按 Ctrl+回车键确认",
    "Press ⌘+Enter to apply": "按 ⌘+回车键确认",
    "Press Ctrl+Enter to submit form": "按 Ctrl+回车键提交",
    "Press ⌘+Enter to submit form": "按 ⌘+回车键提交",
    "Running...": "运行中…",
    "Stop": "停止",
    "Rerun": "重新运行",
    "Connection error": "连接中断",
    "Page not found": "页面不存在",
    "The page that you have requested does not seem to exist. Running the app's main page.": (
        "您要打开的页面不存在，已转到首页。"
    ),
}
_INTERACTION_SCRIPT = """<script>(() => {
  if (window.__hazardsChinese) return;
  window.__hazardsChinese = true;
  const words = WORDS;
  const text = (node) => {
    const t = node.nodeValue.trim();
    if (t && Object.hasOwn(words, t)) node.nodeValue = node.nodeValue.replace(t, words[t]);
  };
  const attrs = (el) => {
    for (const a of ["placeholder", "aria-label", "title"]) {
      const v = el.getAttribute && el.getAttribute(a);
      if (v && Object.hasOwn(words, v)) el.setAttribute(a, words[v]);
    }
  };
  const walk = (root) => {
    if (root.nodeType === Node.TEXT_NODE) return text(root);
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    attrs(root);
    root.querySelectorAll("[placeholder],[aria-label],[title]").forEach(attrs);
    const it = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (it.nextNode()) text(it.currentNode);
  };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === "characterData") text(c.target);
      else if (c.type === "attributes") attrs(c.target);
      else c.addedNodes.forEach(walk);
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true,
    attributes: true, attributeFilter: ["placeholder", "aria-label", "title"]});
  walk(document.body);
})();</script>""".replace("WORDS", json.dumps(_INTERACTION_WORDS, ensure_ascii=False))


def chinese_widgets() -> None:
    """Streamlit's own English on widgets shown in Chinese (once per script run, from app.py).

    The calendar of a date input follows the browser's language (Chinese on a zh-CN browser).
    """
    st.html(_CHINESE_WIDGETS)
    st.html(_INTERACTION_SCRIPT, unsafe_allow_javascript=True, width="content")
