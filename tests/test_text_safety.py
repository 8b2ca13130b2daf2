"""What users typed (or files brought) is shown as text on every page: Markdown images and links,
HTML, LaTeX and Streamlit directives read literally (ui/text.plain), through AppTest."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from tests.conftest import app_as
from tests.hostile_text import ADMIN_NAME, ATTACKS, make_hostile
from tests.html_tables import read
from ui.text import html_table, plain, plain_table

TABLE_TAGS = {"style", "div", "table", "thead", "tbody", "tr", "th", "td", "br"}


@pytest.fixture(scope="module")
def hostile_db(tmp_path_factory, demo_db_path, fuyang):  # ANN201
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copy(demo_db_path, folder / "hazards.duckdb")
    hid = make_hostile(folder / "hazards.duckdb", fuyang, folder / "evidence")
    return folder, hid


@pytest.fixture
def hostile(monkeypatch, hostile_db):  # ANN201
    folder, hid = hostile_db
    monkeypatch.setenv("HAZARDS_DB_PATH", str(folder / "hazards.duckdb"))
    monkeypatch.setenv("HAZARDS_EVIDENCE_DIR", str(folder / "evidence"))
    return hid


def markdown_texts(at) -> list[str]:
    """Every string the page handed to Streamlit's Markdown renderer."""
    texts = []
    for kind in (
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "info",
        "success",
        "warning",
        "error",
        "toast",
    ):
        texts += [e.value for e in getattr(at, kind)]
    texts += [m.label for m in at.metric] + [e.label for e in at.expander]
    texts += [t.label for t in at.tabs]
    for image in at.get("image"):
        texts += [i.caption for i in image.proto.imgs]
    for table in at.table:
        frame = table.value
        texts += [str(v) for v in frame.to_numpy().ravel()]
        texts += [str(c) for c in frame.columns] + [str(i) for i in frame.index]
    return texts


def assert_literal(at, expected: list[str]) -> None:
    """No attack reaches Markdown raw, nor HTML as markup; each expected text is there, escaped."""
    assert not at.exception, at.exception
    for body in (h.value for h in at.html):  # st.html: the markup a page built
        assert not [a for a in ATTACKS if "<" in a and a in body], body[:200]
        if "<table" in body:
            assert set(read(body).tags) <= TABLE_TAGS, set(read(body).tags)
    texts = markdown_texts(at)
    for attack in ATTACKS:
        raw = [t for t in texts if attack in t]
        assert not raw, f"{attack!r} rendered as Markdown in {raw}"
    joined = "\n".join(texts)
    for text in expected:
        assert plain(text) in joined, f"{text!r} not shown literally"


def test_plain_escapes_markdown_html_latex_directives_and_shortcodes() -> None:
    assert plain("![x](a/x.png)") == r"\!\[x\]\(a\/x\.png\)"
    assert plain("<b>粗</b>") == r"\<b\>粗\<\/b\>"
    assert plain("$x$ :red[红]") == r"\$x\$ \:red\[红\]"
    assert plain(":smile: :material/home:") == "\\:\u2060smile\\: \\:\u2060material\\/home\\:"
    # GFM autolinks are found in the unescaped text: a word joiner breaks each
    assert plain("http://a.b www.c.d e@f.g") == (
        "http\\:\u2060\\/\\/a\\.b www\u2060\\.c\\.d e\u2060\\@f\\.g"
    )
    assert plain("HTTPS://a.b") == "HTTPS\\:\u2060\\/\\/a\\.b"
    assert plain("一\n二") == "一  \n二"
    assert plain("一\n    [x](y)") == "一  \n\u00a0\u00a0\u00a0\u00a0\\[x\\]\\(y\\)"
    assert plain("中文，没有标点问题。") == "中文，没有标点问题。"
    assert plain(None) == "" and plain(float("nan")) == ""
    t = plain_table(pd.DataFrame({"a*": ["[x](y)"]}, index=pd.Index(["<i>"], name="k")))
    assert t.iloc[0, 0] == r"\[x\]\(y\)" and list(t.columns) == [r"a\*"]
    assert list(t.index) == [r"\<i\>"]


def test_html_table_cells_stay_text() -> None:
    hostile = [
        *ATTACKS,
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "&lt;b&gt;已转义&lt;/b&gt; &amp; &#60;i&#62;",
        "一行\n二行\r\n三行",
        "</td></tr></table><b>粗</b>",
    ]
    markup = html_table(["名称<b>", "备注"], [[h, 1.5] for h in hostile], [""] * len(hostile), "t")
    parsed = read(markup)
    assert set(parsed.tags) == {"div", "table", "thead", "tbody", "tr", "th", "td", "br"}
    assert parsed.tags.count("br") == 2  # the two line breaks of one cell, nothing else
    frame = parsed.tables[0]
    assert list(frame.columns) == ["名称<b>", "备注"]
    assert frame["名称<b>"].tolist() == [h.replace("\r\n", "\n") for h in hostile]
    assert frame["备注"].tolist() == ["1.5"] * len(hostile)


def test_bulletin_preview_tables_hold_typed_text_as_text(hostile) -> None:
    at = app_as("admin").run()
    at.switch_page("pages/bulletin.py").run()
    assert_literal(at, [])
    bodies = [h.value for h in at.html if "bulletin-table" in h.value]
    cells = {c for b in bodies for t in read(b).tables for c in t.to_numpy().ravel()}
    assert any(ATTACKS[0] + ATTACKS[2] in str(c) for c in cells), "the hostile road is listed"


def test_hazard_page_shows_typed_text_literally(hostile) -> None:
    at = app_as("admin", id=hostile).run()
    at.switch_page("pages/hazard.py").run()
    assert_literal(at, [*ATTACKS, "测试路" + ATTACKS[0] + ATTACKS[2], "王某" + ATTACKS[3]])
    captions = [i.caption for image in at.get("image") for i in image.proto.imgs]
    assert plain("照片" + ATTACKS[1] + ".png") in captions


@pytest.mark.parametrize(
    "page",
    [
        "tasks",
        "audit_log",
        "accounts",
        "ledger",
        "bulletin",
        "cockpit",
        "big_screen",
        "hotspots",
        "road_map",
        "overview",
        "accidents",
        "effect",
    ],
)
def test_pages_show_typed_text_literally(hostile, page) -> None:
    at = app_as("admin").run()
    at.switch_page(f"pages/{page}.py").run()
    assert_literal(at, [])


def test_the_sidebar_shows_the_display_name_literally(hostile) -> None:
    at = app_as("admin").run()  # app.py draws the account box before the page
    assert_literal(at, [ADMIN_NAME])


def test_bulletin_preview_names_the_oldest_overdue_road_literally(hostile) -> None:
    at = app_as("admin").run()
    at.switch_page("pages/bulletin.py").run()
    paragraphs = [m.value for m in at.markdown if "逾期时间最长" in m.value]
    assert paragraphs, "the preview names the oldest overdue hazard"
    assert plain(ATTACKS[0] + ATTACKS[2]) in paragraphs[0]


def test_road_map_detail_panel_escapes_the_picked_object() -> None:
    from ui import road_layers

    obj = {
        "hazard_id": "h<1>",
        "place": ATTACKS[0],
        "unit_name": ATTACKS[1],
        "responsible_unit": ATTACKS[2],
        "state": "整改中",
        "deaths": 0,
    }
    fields = [
        ("hazard_id", "隐患编号"),
        ("place", "位置"),
        ("unit_name", "所属单位"),
        ("responsible_unit", "责任单位"),
        ("state", "流程状态"),
        ("deaths", "死亡"),
    ]
    text = road_layers.detail_markdown(obj, fields)
    for attack in ATTACKS[:3]:
        assert attack not in text
        assert plain(attack) in text
    assert "- 死亡：0" in text


def test_the_unit_map_tooltip_is_html_with_escaped_names(fuyang) -> None:
    from ui import maps

    outlines = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"unit_code": "341226", "name": ATTACKS[2] + ATTACKS[3]},
                "geometry": {"type": "Point", "coordinates": [116.2, 32.6]},
            }
        ],
    }
    ranking = pd.DataFrame(
        {"unit_adcode": ["341226"], "rate": [0.5], "rank": [1], "listed": [2], "overdue": [0]}
    )
    deck = maps.unit_rate_map(fuyang, outlines, ranking)
    assert "html" in deck._tooltip  # an HTML template: the values must be escaped in the data
    text = json.dumps(json.loads(deck.to_json()), ensure_ascii=False)
    assert "<img" not in text and "<b>粗" not in text
    assert "&lt;img src=http://127.0.0.2:9/y.png&gt;&lt;b&gt;粗&lt;/b&gt;" in text


def test_the_road_map_tooltip_is_text_only(hostile) -> None:
    at = app_as("admin").run()
    at.switch_page("pages/road_map.py").run()
    for chart in at.get("deck_gl_json_chart"):
        tooltip = json.loads(chart.proto.tooltip)
        assert "html" not in tooltip and tooltip.get("text") == "{tip}"


def test_chart_labels_are_escaped_for_plotly() -> None:
    """Plotly reads <a href>, <b>, <br> in category labels: a typed name must not make a link."""
    from ui import accident_charts, charts

    name = '<a href="http://evil.example/">点我</a>'
    f = pd.DataFrame({"accidents": [3], "deaths": [1], "injuries": [0]})
    fig = accident_charts.count_bar([name], f, "路线", "按路线")
    assert list(fig.data[0].y) == ['&lt;a href="http://evil.example/"&gt;点我&lt;/a&gt;']
    stack = pd.DataFrame(
        {
            "group_key": [name],
            "listed": [2],
            "closed": [1],
            "open": [1],
            "overdue": [0],
            "rate": [0.5],
        }
    )
    fig = charts.breakdown_bar(stack, "责任单位", "按责任单位")
    assert all("<a" not in str(y) for trace in fig.data for y in trace.y)
