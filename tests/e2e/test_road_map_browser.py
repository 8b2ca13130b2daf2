"""道路地图 in a real browser: the deck canvas is drawn, a click on a road segment shows its
details beside the map, and nothing is fetched from anywhere but 127.0.0.1."""

from __future__ import annotations

import io
import math
from pathlib import Path
from urllib.parse import urlparse

import pytest

from analytics import geo
from analytics.accidents import road_map
from analytics.accidents import sites as hotspots
from analytics.city import boundaries
from analytics.store import db
from tests.e2e.conftest import sign_in
from ui import maps

pytestmark = pytest.mark.e2e
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


def _world(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    """Web-Mercator pixel coordinates at a zoom (deck.gl's 512-pixel world)."""
    size = 512 * 2**zoom
    y = math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))
    return (lon + 180) / 360 * size, (math.pi - y) / (2 * math.pi) * size


def _target(demo_db_path: Path, fuyang) -> tuple[str, tuple[float, float], tuple]:
    """A segment whose midpoint lies well clear of every hazard dot and accident-prone site of
    the city's default rule (both drawn above the segments), in map pixels from the view's
    centre; the view is the page's city view (the outlines' box)."""
    view = maps.view_for_bbox(geo.bbox(boundaries(fuyang)))
    conn = db.open_for_reading(demo_db_path)
    last = conn.execute("SELECT max(occurred_at)::DATE FROM accidents").fetchone()[0]
    segments = road_map.segment_rates(conn, last, last)
    hazards, _, _ = road_map.hazard_points(conn, last, 15)
    sites = hotspots.find_sites(conn, last, hotspots.preset(fuyang.hotspot_preset))
    conn.close()
    cx, cy = _world(view[0], view[1], view[2])
    points = list(zip(hazards.lon, hazards.lat, strict=True))
    for s in sites.itertuples():
        points += [(p[0], p[1]) for p in (s.path if s.path is not None else [])]
        points += [(s.lon, s.lat)] if s.lon == s.lon and s.lon is not None else []
    dots = [_world(x, y, view[2]) for x, y in points]
    best = None
    for s in segments.itertuples():
        (x0, y0), (x1, y1) = (_world(p[0], p[1], view[2]) for p in (s.path[0], s.path[-1]))
        if len(s.path) != 2 or math.hypot(x1 - x0, y1 - y0) < 10:
            continue  # a straight segment long enough to hit
        mx, my = (x0 + x1) / 2, (y0 + y1) / 2
        clear = min(math.hypot(mx - hx, my - hy) for hx, hy in dots)
        if best is None or clear > best[0]:
            best = (clear, s.name, (mx - cx, my - cy))
    assert best is not None and best[0] > 12
    return best[1], best[2], view


def _coloured_pixels(png: bytes) -> int:
    """Pixels of a clear colour (not white, grey or the pale unit fill)."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    return sum(1 for r, g, b in image.get_flattened_data() if max(r, g, b) - min(r, g, b) > 60)


def test_map_draws_and_a_segment_click_shows_its_details(
    server: str, browser, demo_db_path, fuyang
) -> None:
    from playwright.sync_api import expect

    name, (dx, dy), _view = _target(demo_db_path, fuyang)
    hosts: set[str] = set()
    page = browser.new_page(viewport={"width": 1500, "height": 1500}, locale="zh-CN")
    page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or r.url))
    sign_in(page, server)
    page.get_by_role("link", name="道路地图").click()
    deck = page.locator("[data-testid='stDeckGlJsonChart']").first
    expect(deck).to_be_visible(timeout=30_000)
    canvas = deck.locator("canvas").first
    expect(canvas).to_be_visible(timeout=30_000)
    page.wait_for_timeout(3000)  # let deck.gl draw every layer

    assert _coloured_pixels(canvas.screenshot()) > 2000  # roads, hazards and grid cells
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "road_map.png"))

    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
    page.mouse.move(x, y)  # deck.gl picks what is under the pointer on hover
    expect(page.get_by_text(name).first).to_be_visible(timeout=10_000)  # the tooltip
    page.mouse.click(x, y)
    expect(page.get_by_text("路段详情")).to_be_visible(timeout=30_000)
    expect(page.get_by_text(f"路段：{name}")).to_be_visible()
    expect(page.get_by_text("每公里事故起数：").first).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "road_map_segment.png"))
    assert page.locator("[data-testid='stException']").count() == 0
    assert hosts <= {"127.0.0.1"}, f"requests left the machine: {sorted(hosts)}"
    page.close()
