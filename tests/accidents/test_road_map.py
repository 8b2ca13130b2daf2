"""道路地图 figures on a hand-made road: per-km rates, grid cells, stake placement, hazard
colours, the basemap's coordinate system and the payload bound."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from analytics import geo
from analytics.accidents import road_map
from analytics.ledger import hazard_list
from tests.conftest import D
from ui import road_layers

MARCH = (date(2022, 3, 1), date(2022, 3, 31))
APRIL = (date(2022, 4, 1), date(2022, 4, 30))
# two segments of route R1: 2 km and 3 km of stakes; R3 bends (north, then east)
SEGMENTS = [
    ("s1", "R1", 0, 2000, "990101", [[100.10, 30.003], [100.12, 30.003]]),
    ("s2", "R1", 2000, 5000, "990101", [[100.12, 30.003], [100.16, 30.003]]),
    ("s3", "R3", 0, 2000, "990102", [[100.0, 30.0], [100.0, 30.01], [100.01, 30.01]]),
]
# id, time, route, stake, lon, lat, deaths
ACCIDENTS = [
    ("m1", "2022-03-05 08:00", "R1", 500, None, None, 1),  # s1
    ("m2", "2022-03-06 08:00", "R1", 2000, None, None, 0),  # s2: a shared stake opens s2
    ("m3", "2022-03-07 08:00", "R1", 4999, None, None, 2),  # s2
    ("m4", "2022-03-08 08:00", "R1", 5000, None, None, 0),  # s2: its end stake is on it
    ("m5", "2022-03-09 08:00", "R1", 5001, None, None, 0),  # beyond the road: no segment
    ("m6", "2022-02-28 23:59", "R1", 1000, None, None, 0),  # before the period
    ("m7", "2022-03-10 08:00", "R2", 100, None, None, 0),  # a route without segments
    ("g1", "2022-04-02 08:00", None, None, 100.105, 30.005, 0),
    ("g2", "2022-04-03 08:00", None, None, 100.107, 30.001, 1),
    ("g3", "2022-04-04 08:00", None, None, 100.125, 30.005, 0),
    ("g4", "2022-04-05 08:00", "R1", 500, None, None, 0),  # placed at 100.105, 30.003
    ("g5", "2022-04-06 08:00", "R1", 2375, None, None, 0),  # 1/8 of s2: 100.125, 30.003
    ("g6", "2022-04-07 08:00", "R9", 100, None, None, 0),  # unplaceable
    ("g7", "2022-04-08 08:00", None, None, None, None, 3),  # nowhere
]
CELL = road_map.M_PER_DEG_LAT / 100  # at reference latitude 0 a cell is 0.01° × 0.01°


@pytest.fixture
def road(conn):
    conn.execute("DELETE FROM accidents")
    for sid, route, a, b, unit, path in SEGMENTS:
        conn.execute(
            "INSERT INTO road_segments (segment_id, route_code, name, start_m, end_m,"
            " unit_adcode, path) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [sid, route, f"{route} 第{sid}段", a, b, unit, path],
        )
    for aid, at, route, stake, lon, lat, deaths in ACCIDENTS:
        conn.execute(
            "INSERT INTO accidents (accident_id, occurred_at, unit_adcode, route_code, stake_m,"
            " lon, lat, deaths, injuries) VALUES (?, ?, '990101', ?, ?, ?, ?, ?, 0)",
            [aid, at, route, stake, lon, lat, deaths],
        )
    return conn


def test_per_km_rates_of_two_segments(road) -> None:
    s = road_map.segment_rates(road, *MARCH, route="R1").set_index("segment_id")
    assert list(s.index) == ["s1", "s2"]
    assert s.loc["s1", ["accidents", "deaths", "km"]].tolist() == [1, 1, 2.0]
    assert s.loc["s2", ["accidents", "deaths", "fatal_accidents", "km"]].tolist() == [3, 2, 1, 3.0]
    assert s.loc["s1", "accidents_per_km"] == 0.5 and s.loc["s1", "deaths_per_km"] == 0.5
    assert s.loc["s2", "accidents_per_km"] == 1.0
    assert s.loc["s2", "deaths_per_km"] == pytest.approx(2 / 3)
    # the unit filter works on the segment's unit
    assert road_map.segment_rates(road, *MARCH, unit="990102").segment_id.tolist() == ["s3"]


def test_a_segment_without_a_stake_length_is_as_long_as_its_path(road) -> None:
    # s3 bends: 0.01° north (1,111.95 m on the sphere) then 0.01° east at 30.01° N (962.9 m)
    road.execute("UPDATE road_segments SET end_m = 0 WHERE segment_id = 's3'")
    s = road_map.segment_rates(road, *MARCH).set_index("segment_id")
    assert s.loc["s3", "km"] == pytest.approx(geo.path_length_m(SEGMENTS[2][5]) / 1000, rel=1e-12)
    assert s.loc["s3", "km"] == pytest.approx(2.07485, abs=1e-4)
    assert s.km.tolist()[:2] == [2.0, 3.0]  # the others keep their stake lengths


def test_grid_cell_counts(road) -> None:
    g = road_map.accident_grid(road, *APRIL, cell_m=CELL, ref_lat=0.0)
    assert (g.total, g.unplaced, g.cell_m) == (7, 2, CELL)
    cells = [
        (round(r.lon, 6), round(r.lat, 6), r.accidents, r.fatal_accidents, r.deaths)
        for r in g.cells.itertuples()
    ]
    # g1, g2 and g4 (placed by stake) in one cell, g3 and g5 in the next one east
    assert cells == [(100.10, 30.0, 3, 1, 1), (100.12, 30.0, 2, 0, 0)]


def test_grid_grows_until_it_has_few_enough_cells(road) -> None:
    # at 2×, 4× the cell the two groups stay apart; at 8× (0.08°) they share a cell
    g = road_map.accident_grid(road, *APRIL, cell_m=CELL, ref_lat=0.0, max_cells=1)
    assert g.cell_m == 8 * CELL
    assert g.cells.accidents.tolist() == [5]


def test_stake_point_on_the_route_path(road) -> None:
    assert road_map.stake_point(road, "R1", 500) == pytest.approx((100.105, 30.003))
    assert road_map.stake_point(road, "R1", 2375) == pytest.approx((100.125, 30.003))
    assert road_map.stake_point(road, "R1", 5000) == pytest.approx((100.16, 30.003))
    assert road_map.stake_point(road, "R1", 5001) is None
    assert road_map.stake_point(road, "R2", 100) is None
    # on a bent path: the middle of the stakes is half the path's length along it
    path = SEGMENTS[2][5]
    expected = geo.point_at(path, geo.path_length_m(path) / 2)
    assert road_map.stake_point(road, "R3", 1000) == pytest.approx(expected, abs=1e-9)
    # legs of 1,111.95 m (north) and 962.9 m (east): half of 2,074.85 m is still on the first
    assert expected == pytest.approx((100.0, 30.0 + 0.01 * 1037.42 / 1111.95), abs=1e-7)


def test_accident_points_are_capped_newest_first(road) -> None:
    points, total = road_map.accident_points(road, *APRIL, limit=3)
    assert total == 7
    assert points.accident_id.tolist() == ["g5", "g4", "g3"]
    assert points.loc[0, ["lon", "lat"]].tolist() == pytest.approx([100.125, 30.003])


def _hazards(road):  # ANN202
    for hid, lon in (
        ("h1", 100.101),
        ("h2", 100.102),
        ("h3", 100.103),
        ("h4", 100.104),
        ("h7", 100.107),
        ("h10", 100.110),
    ):
        road.execute("UPDATE hazards SET lon = ?, lat = 30.02 WHERE hazard_id = ?", [lon, hid])
    road.execute(
        "UPDATE hazards SET route_code = 'R1', start_m = 500, end_m = 1500 WHERE hazard_id = 'h9'"
    )
    return road_map.hazard_points(road, D, 15)


def test_hazard_colour_by_standing(road) -> None:
    hazards, unplaced, _ = _hazards(road)
    assert unplaced == 1  # h8: neither coordinates nor a route
    layer = road_layers.hazard_layer(hazards, road_layers.Display(geo.WGS84))
    colour = {row["hazard_id"]: (row["standing"], row["color"]) for row in layer.data}
    assert colour["h3"] == ("逾期", [214, 69, 65, 255])  # red
    assert colour["h4"] == ("临期", [240, 162, 2, 255])  # amber
    assert colour["h9"] == ("临期", [240, 162, 2, 255])  # due today
    assert colour["h7"] == ("正常推进", [47, 111, 191, 255])  # blue
    assert colour["h1"] == ("已销号", [46, 158, 91, 255])  # green
    h9 = next(r for r in layer.data if r["hazard_id"] == "h9")
    assert h9["by_stake"] and h9["position"] == [100.11, 30.003]  # the middle of K0+500—K1+500
    h3 = next(r for r in layer.data if r["hazard_id"] == "h3")
    assert h3["tip"] == "隐患 h3（逾期 11 天）\n\n完成时限：2022-03-20"
    assert h3["days_overdue"] == "11 天"


def test_hazard_points_limit_and_route(road) -> None:
    """Only the most urgent `limit` hazards are placed; `listed` still counts every one."""
    _hazards(road)  # h3 逾期, h9 临期 (R1, by stake), h4 临期, h7, then h8 (nowhere), h1, h2, h10
    hazards, unplaced, listed = road_map.hazard_points(road, D, 15, limit=2)
    assert (hazards.hazard_id.tolist(), unplaced, listed) == (["h3", "h9"], 0, 8)
    hazards, unplaced, listed = road_map.hazard_points(road, D, 15, limit=5)
    assert (hazards.hazard_id.tolist(), unplaced, listed) == (["h3", "h9", "h4", "h7"], 1, 8)
    hazards, unplaced, listed = road_map.hazard_points(road, D, 15, route="R1", limit=1)
    assert (hazards.hazard_id.tolist(), unplaced, listed) == (["h9"], 0, 1)
    assert hazard_list.count_as_of(road, D, 15) == 8
    assert hazard_list.count_as_of(road, D, 15, route="R1") == 1
    assert hazard_list.count_as_of(road, D, 15, only_overdue=True) == 1
    assert hazard_list.hazards_as_of(road, D, 15, limit=3).hazard_id.tolist() == ["h3", "h9", "h4"]


def _deck(road, city, **extra):  # ANN003, ANN202
    hazards, _, _ = _hazards(road)
    content = road_layers.RoadMap(
        outlines={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"unit_code": "990101"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [
                            [[100.1, 30.0], [100.2, 30.0], [100.2, 30.1], [100.1, 30.0]]
                        ],
                    },
                }
            ],
        },
        segments=road_map.segment_rates(road, *MARCH),
        hazards=hazards,
        grid=road_map.accident_grid(road, *APRIL, cell_m=CELL, ref_lat=0.0),
        **extra,
    )
    return json.loads(road_layers.road_map_deck(city, content, (100.1, 30.05, 10)).to_json())


def _layer(deck: dict, layer_id: str) -> dict:
    return next(layer for layer in deck["layers"] if layer["id"] == layer_id)


def test_no_basemap_means_no_tile_layer(road, tiny_city) -> None:
    deck = _deck(road, tiny_city)
    types = {layer["@@type"] for layer in deck["layers"]}
    assert types == {"GeoJsonLayer", "GridCellLayer", "PathLayer", "ScatterplotLayer", "TextLayer"}
    assert deck.get("mapStyle") in (None, "__MAP_STYLE__")
    assert _layer(deck, "segments")["data"][0]["path"] == [[100.10, 30.003], [100.12, 30.003]]
    h3 = next(r for r in _layer(deck, "hazards")["data"] if r["hazard_id"] == "h3")
    assert h3["position"] == [100.103, 30.02]


def test_gcj02_basemap_shifts_every_layer(road, tiny_city) -> None:
    url = "http://127.0.0.1:9/amap/{z}/{x}/{y}.png"
    city = replace(
        tiny_city, map=replace(tiny_city.map, basemap_url=url, basemap_coord_system="GCJ02")
    )
    deck = _deck(road, city)
    tiles = [layer for layer in deck["layers"] if layer["id"].startswith("basemap-")]
    assert {t["@@type"] for t in tiles} == {"BitmapLayer"}
    assert deck["layers"][0]["id"].startswith("basemap-")  # drawn first, under everything
    # zoom 10 shows level-11 tiles; the view's centre (GCJ-02 100.1, 30.05) is in tile x 1593.47, y 844.64
    centre = next(t for t in tiles if t["id"] == "basemap-11-1593-844")
    assert centre["image"] == "http://127.0.0.1:9/amap/11/1593/844.png"
    west, south, east, north = centre["bounds"]
    assert (west, east) == (round(1593 / 2048 * 360 - 180, 7), round(1594 / 2048 * 360 - 180, 7))
    assert south < 30.05 < north
    # x 1593.47 ± 1000/512 -> tiles 1591..1595, y 844.64 ± 760/512 -> 843..846, one more each side
    assert len(tiles) == 7 * 6

    def shifted(lon: float, lat: float) -> list[float]:
        return [round(v, 5) for v in geo.wgs84_to_gcj02(lon, lat)]

    seg = _layer(deck, "segments")["data"][0]["path"]
    assert seg == [shifted(100.10, 30.003), shifted(100.12, 30.003)]
    assert seg[0] != [100.10, 30.003]
    h3 = next(r for r in _layer(deck, "hazards")["data"] if r["hazard_id"] == "h3")
    assert h3["position"] == shifted(100.103, 30.02)
    cell = _layer(deck, "accident_grid")["data"][0]["position"]
    assert cell == pytest.approx(shifted(100.10, 30.0), abs=1.5e-6)
    ring = _layer(deck, "units")["data"]["features"][0]["geometry"]["coordinates"][0]
    assert ring[1] == shifted(100.2, 30.0)
    view = deck["initialViewState"]
    assert [view["longitude"], view["latitude"]] == shifted(100.1, 30.05)


def test_payload_is_bounded_by_cells_not_accidents(road, tiny_city) -> None:
    rng = np.random.default_rng(7)
    sizes = []
    for n in (2_000, 40_000):
        road.execute("DELETE FROM accidents")
        road.execute(
            "INSERT INTO accidents (accident_id, occurred_at, lon, lat, deaths, injuries)"
            " SELECT 'r' || i, TIMESTAMP '2022-04-10 08:00', lon, lat, 0, 0"
            " FROM (SELECT unnest(range(?)) AS i, unnest(?) AS lon, unnest(?) AS lat)",
            [n, rng.uniform(99.0, 101.0, n).tolist(), rng.uniform(29.0, 31.0, n).tolist()],
        )
        grid = road_map.accident_grid(road, *APRIL, cell_m=2000, ref_lat=30.0, max_cells=1000)
        assert grid.total == n and grid.cells.accidents.sum() == n
        assert len(grid.cells) <= 1000
        deck = road_layers.road_map_deck(
            tiny_city, road_layers.RoadMap(grid=grid), (100.0, 30.0, 8)
        )
        sizes.append(road_layers.payload_bytes(deck))
        assert sizes[-1] == len(deck.to_json().encode("utf-8"))
    assert max(sizes) < 250_000  # about 200 bytes per cell, however many accidents


def test_compact_json_is_pydecks_json_without_indentation(road, tiny_city) -> None:
    """One pass of the C encoder gives the very text pydeck's indented JSON re-encoded gave."""
    deck = road_layers.road_map_deck(
        tiny_city,
        road_layers.RoadMap(
            segments=road_map.segment_rates(road, *MARCH),
            grid=road_map.accident_grid(road, *APRIL, cell_m=CELL, ref_lat=0.0),
        ),
        (100.1, 30.05, 10),
    )
    deck.layers[0].data[0]["odd"] = [np.float64(0.1), float("nan"), -0.0, 1e16, "桩号 K1+500"]
    text = deck.to_json()
    old = json.dumps(
        json.loads(super(road_layers.CompactDeck, deck).to_json()),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert text == old
    assert "桩号 K1+500" in text and '"odd":[0.1,NaN,-0.0,1e+16,' in text
