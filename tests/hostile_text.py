"""A demo database whose typed text attacks the pages: Markdown images and links, HTML, LaTeX,
Streamlit colour directives and icon shortcodes in a hazard's fields, account names, event notes,
evidence file names, imported road names and unit names."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

from PIL import Image

from analytics.accounts import auth
from analytics.city import City
from analytics.ledger import workflow
from analytics.store import db

# each must read literally wherever it is shown: no image load, no live link, no markup
ATTACKS = (
    "![x](http://127.0.0.2:9/x.png)",
    "[点我](http://evil.example/)",
    "<img src=http://127.0.0.2:9/y.png>",
    "<b>粗</b>",
    "$x$",
    ":red[红]",
)
ALL = " ".join(ATTACKS)
NOW = datetime(2022, 9, 15, 9, 0)
ADMIN_NAME = "管理员" + ATTACKS[0] + ATTACKS[3]  # the signed-in admin's display name
COUNTY_NAME = "颍上" + ATTACKS[1] + ATTACKS[5]


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (30, 30), (10, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def make_hostile(path: Path, city: City, evidence_dir: Path) -> str:
    """Write the attacks into the database at ``path``; return the hostile hazard's id (in
    颍上县, waiting for sign-off, with coordinates, evidence and notes)."""
    conn = db.open_store(path, city)
    try:
        conn.execute("UPDATE accounts SET display_name = ? WHERE username = 'admin'", [ADMIN_NAME])
        conn.execute(
            "UPDATE accounts SET display_name = ? WHERE username = 'yingshang'", [COUNTY_NAME]
        )
        admin = auth.get_user(conn, "admin")
        county = auth.get_user(conn, "yingshang")
        lon, lat = conn.execute(
            "SELECT lon, lat FROM hazards WHERE unit_adcode = '341226' AND lon IS NOT NULL LIMIT 1"
        ).fetchone()
        fields = {
            "road_name": "测试路" + ATTACKS[0] + ATTACKS[2],
            "hazard_type": "急弯陡坡",
            "description": "描述 " + ALL,
            "source": "日常排查",
            "township": "乡镇" + ATTACKS[1],
            "lon": lon,
            "lat": lat,
        }
        hid = workflow.report(
            conn, county, unit_adcode="341226", fields=fields, found_date=date(2022, 9, 1), now=NOW
        )
        workflow.list_hazard(
            conn,
            admin,
            hid,
            1,
            risk_grade="一般",
            supervision_level="无",
            listed_date=date(2022, 9, 1),
            now=NOW,
        )
        five = {
            "goal": "目标" + ATTACKS[4],
            "lead_leader": "王某" + ATTACKS[3],
            "responsible_unit": "交通局" + ATTACKS[1],
            "completion_standard": "标准 " + ALL,
            "deadline": date(2022, 9, 10),
        }
        workflow.assign(conn, admin, hid, 2, elements=five, reward_penalty=ATTACKS[5], now=NOW)
        workflow.record_progress(
            conn,
            county,
            hid,
            3,
            text="进展 " + ALL,
            measures="措施 " + ALL,
            temporary_controls=ATTACKS[2],
            now=NOW,
            files=[workflow.Upload("照片" + ATTACKS[1] + ".png", png())],
            evidence_dir=evidence_dir,
        )
        workflow.request_signoff(
            conn,
            county,
            hid,
            4,
            note="完成 " + ALL,
            now=NOW,
            files=[workflow.Upload("验收" + ATTACKS[0] + ".png", png())],
            evidence_dir=evidence_dir,
        )
        # imported text: every open hazard's road and leader (the bulletin names the oldest
        # overdue one), accidents' roads (hotspots) and the audit trail's notes
        conn.execute(
            "UPDATE hazards SET road_name = coalesce(road_name, '') || ?,"
            " lead_leader = coalesce(lead_leader, '') || ? WHERE closed_date IS NULL",
            [ATTACKS[0] + ATTACKS[2], ATTACKS[1] + ATTACKS[4]],
        )
        conn.execute("UPDATE accidents SET road_name = coalesce(road_name, '') || ?", [ATTACKS[1]])
    finally:
        conn.close()
    return hid
