"""Every chart reaches the browser with its whole plotly template: plotly_white on the pages,
plotly_dark on the big screen (the light one applied as plotly's default, not named per chart)."""

from __future__ import annotations

import json
import subprocess
import sys

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from tests.conftest import ROOT, app_as


def _templates(page: str) -> list[dict]:
    at = app_as("admin").run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception
    return [json.loads(c.proto.spec)["layout"]["template"] for c in at.get("plotly_chart")]


def _as_sent(name: str) -> dict:
    """The template as Streamlit sends a figure naming it (plotly.io.to_json, not validated)."""
    named = go.Figure(layout={"template": pio.templates[name]}).to_dict()
    return json.loads(pio.to_json(named, validate=False))["layout"]["template"]


@pytest.mark.parametrize("page", ["cockpit", "accidents", "bulletin"])
def test_page_charts_carry_plotly_white(demo_env, page) -> None:
    sent = _templates(page)
    assert len(sent) >= 2
    assert all(t == _as_sent("plotly_white") for t in sent)


def test_big_screen_charts_carry_plotly_dark(demo_env) -> None:
    sent = _templates("big_screen")
    assert sent and all(t == _as_sent("plotly_dark") for t in sent)


def test_charts_are_plotly_white_whichever_of_ui_and_streamlit_is_imported_first() -> None:
    # Streamlit sets plotly's default template when first imported: a process importing the
    # charts before Streamlit (a test, a script) must not end with Streamlit's template
    script = (
        "import json, plotly.graph_objects as go, plotly.io as pio\n"
        "from ui import charts\n"
        "import streamlit\n"
        "fig = go.Figure().add_bar(x=[1], y=[2])\n"
        "charts.layout(fig, 't', 'x', 'y', height=300, dark=False)\n"
        "print(pio.to_json(fig.to_dict(), validate=False))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout)["layout"]["template"] == _as_sent("plotly_white")
