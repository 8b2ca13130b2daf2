"""python -m analytics hotspots: the JSON the issue specifies, the CSV, the rule's parameters."""

import csv
import io
import json
from datetime import date

from analytics import __main__ as cli
from analytics.accidents import sites as hotspots
from analytics.store import db


def test_hotspots_json_on_the_demo_names_g105_in_2017(demo_db_path, capsys):
    code = cli.main(
        [
            "hotspots",
            "--db",
            str(demo_db_path),
            "--as-of",
            "2017-12-31",
            "--preset",
            "point_500m_1y",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert out["parameters"]["rule"] == "桩号法·500米/1年/≥3起死亡事故"
    assert out["parameters"]["conditions"] == [{"measure": "fatal_accidents", "threshold": 3}]
    # the same sites as the library finds, in rank order, with the fields the issue lists
    conn = db.open_for_reading(demo_db_path)
    expected = hotspots.find_sites(conn, date(2017, 12, 31), hotspots.preset("point_500m_1y"))
    conn.close()
    assert [s["site_key"] for s in out["sites"]] == expected["site_key"].tolist()
    first = out["sites"][0]
    for key in (
        "route",
        "start_m",
        "end_m",
        "accidents",
        "fatal_accidents",
        "deaths",
        "injuries",
        "score",
        "rank",
        "covered_by",
    ):
        assert key in first
    # the demo's G105 story: three clusters inside K867–K877, each with >= 3 fatal accidents
    assert {s["route"] for s in out["sites"]} == {"G105"}
    assert all(867_000 <= s["start_m"] <= s["end_m"] <= 877_000 for s in out["sites"])
    assert all(s["fatal_accidents"] >= 3 for s in out["sites"])


def test_hotspots_options_override_the_preset_and_csv(demo_db_path, capsys):
    args = [
        "hotspots",
        "--db",
        str(demo_db_path),
        "--as-of",
        "2022-09-15",
        "--preset",
        "uk_cluster_50m_3y",
        "--radius-m",
        "80",
        "--threshold",
        "6",
        "--csv",
    ]
    assert cli.main(args) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    conn = db.open_for_reading(demo_db_path)
    params = hotspots.preset("uk_cluster_50m_3y").with_(radius_m=80.0)
    params = params.with_(
        conditions=(params.conditions[0].__class__("injury_or_fatal_accidents", 6),)
    )
    expected = hotspots.find_sites(conn, date(2022, 9, 15), params)
    conn.close()
    assert len(rows) == len(expected) > 0
    # a coordinate site key begins with "@": written quoted, as any text that could be a formula
    assert [r["site_key"] for r in rows] == ["'" + k for k in expected["site_key"]]
    assert expected["site_key"].str.startswith("@").all()
    assert {r["radius_m"] for r in rows} == {"80.0"}


def test_hotspots_rejects_bad_weights(demo_db_path, capsys):
    assert cli.main(["hotspots", "--db", str(demo_db_path), "--weights", "1,2"]) == 2
    assert "--weights" in capsys.readouterr().err
