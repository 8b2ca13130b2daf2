"""Each page's script time in AppTest (cold, then warm), the bytes it sends to the browser, and
the process's peak memory — run in a child process so the peak belongs to the app alone:
python -m bench.pages DB CITY_FILE REPEAT (prints JSON)."""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from analytics.config import PROJECT_ROOT

PAGES = (
    "pages/overview.py",
    "pages/cockpit.py",
    "pages/big_screen.py",
    "pages/road_map.py",
    "pages/accidents.py",
    "pages/hotspots.py",
    "pages/effect.py",
    "pages/ledger.py",
    "pages/tasks.py",
    "pages/sources.py",
    "pages/bulletin.py",
    "pages/audit_log.py",
    "pages/data_settings.py",
)


def sent_bytes(node: object) -> int:
    """Bytes of every element the script sent (the protobuf messages the browser receives)."""
    children = getattr(node, "children", None)
    if children:
        return sum(sent_bytes(c) for c in children.values())
    proto = getattr(node, "proto", None)
    return proto.ByteSize() if proto is not None else 0


def run(path: Path, city_file: Path, repeat: int) -> dict[str, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from analytics.accounts import auth

    os.environ["HAZARDS_DB_PATH"] = str(path)
    os.environ["HAZARDS_CITY_FILE"] = str(city_file)
    os.environ["HAZARDS_INITIAL_ADMIN_PASSWORD"] = "Bench-Huaihe-2022"  # scale data has no accounts
    app = str(PROJECT_ROOT / "app.py")
    now = datetime.now(ZoneInfo("Asia/Shanghai")).replace(tzinfo=None)
    out: dict[str, float] = {}
    for page in (p for p in PAGES if (PROJECT_ROOT / p).exists()):
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(app, default_timeout=300)
        at.session_state["user"] = auth.User("admin", "admin", "admin", None)
        at.session_state["signed_in_at"] = at.session_state["last_seen"] = now
        t = time.perf_counter()
        at.run()
        at.switch_page(page).run()
        cold = (time.perf_counter() - t) * 1000
        if at.exception or at.error:  # an exception, or the page's own apology (st.error)
            problem = at.exception[0].message if at.exception else at.error[0].value
            raise RuntimeError(f"{page}: {problem}")
        out[f"{page} cold, incl. opening the store (ms)"] = cold
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            at.run()
            times.append((time.perf_counter() - t) * 1000)
        out[f"{page} warm (ms)"] = statistics.median(times)
        out[f"{page} sent to the browser (KB)"] = sent_bytes(at._tree) / 1024
    out["peak memory of the app process, all pages (MB)"] = (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    )
    return out


if __name__ == "__main__":
    db_path, city, n = sys.argv[1:4]
    print(json.dumps(run(Path(db_path), Path(city), int(n))))
