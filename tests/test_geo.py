"""Tests for analytics.geo: coordinate systems, paths, polygons and stakes."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from analytics import geo

FUYANG_COUNTIES = (
    Path(__file__).resolve().parents[1] / "data" / "boundaries" / "341200_fuyang_counties.json"
)
DEG_M = geo.EARTH_RADIUS_M * math.pi / 180  # one degree of latitude in metres

# --- coordinate systems ------------------------------------------------------


def test_known_coordtransform_values():
    lon, lat = geo.wgs84_to_gcj02(116.404, 39.915)
    assert lon == pytest.approx(116.41024449916938, abs=1e-9)
    assert lat == pytest.approx(39.91640428150164, abs=1e-9)
    lon, lat = geo.gcj02_to_bd09(116.404, 39.915)
    assert lon == pytest.approx(116.41036949371029, abs=1e-9)
    assert lat == pytest.approx(39.92133699351021, abs=1e-9)


@pytest.mark.parametrize("point", [(116.404, 39.915), (115.8, 32.9), (121.47, 31.23), (87.6, 43.8)])
@pytest.mark.parametrize(
    ("forward", "backward"),
    [
        (geo.wgs84_to_gcj02, geo.gcj02_to_wgs84),
        (geo.gcj02_to_bd09, geo.bd09_to_gcj02),
        (geo.wgs84_to_bd09, geo.bd09_to_wgs84),
    ],
)
def test_round_trips(point, forward, backward):
    lon, lat = backward(*forward(*point))
    assert lon == pytest.approx(point[0], abs=1e-7)
    assert lat == pytest.approx(point[1], abs=1e-7)


@pytest.mark.parametrize("system", geo.COORD_SYSTEMS)
def test_to_from_wgs84_round_trip(system):
    lon, lat = geo.to_wgs84(*geo.from_wgs84(115.8, 32.9, system), system)
    assert (lon, lat) == pytest.approx((115.8, 32.9), abs=1e-7)


def test_outside_china_unchanged():
    paris = (2.35, 48.85)
    assert geo.out_of_china(*paris)
    assert not geo.out_of_china(115.8, 32.9)
    assert geo.wgs84_to_gcj02(*paris) == paris
    assert geo.gcj02_to_wgs84(*paris) == paris
    assert geo.wgs84_to_bd09(*paris) == paris
    assert geo.to_wgs84(*paris, "百度") == paris


def test_gcj_shift_near_fuyang():
    shifted = geo.wgs84_to_gcj02(115.8, 32.9)
    assert 300 < geo.haversine_m(115.8, 32.9, *shifted) < 800


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("WGS-84", geo.WGS84),
        ("wgs84", geo.WGS84),
        ("CGCS2000", geo.WGS84),
        ("天地图", geo.WGS84),
        ("GPS", geo.WGS84),
        ("GCJ-02", geo.GCJ02),
        ("gcj02", geo.GCJ02),
        ("高德", geo.GCJ02),
        ("BD-09", geo.BD09),
        ("bd09", geo.BD09),
        ("百度", geo.BD09),
        (" Baidu ", geo.BD09),
        ("高德坐标系", geo.GCJ02),
        ("百度地图", geo.BD09),
    ],
)
def test_normalize_coord_system(name, expected):
    assert geo.normalize_coord_system(name) == expected


def test_normalize_coord_system_unknown():
    with pytest.raises(ValueError, match="无法识别的坐标系：墨卡托（可用：WGS84、GCJ02、BD09）"):
        geo.normalize_coord_system("墨卡托")


def test_to_wgs84_array_matches_scalar_and_keeps_nan_and_foreign_points():
    lons = np.array([116.41024449916938, 2.35, np.nan, 115.8])
    lats = np.array([39.91640428150164, 48.85, 30.0, 32.9])
    x, y = geo.to_wgs84_array(lons, lats, "GCJ-02")
    assert x[0] == pytest.approx(116.404, abs=1e-7) and y[0] == pytest.approx(39.915, abs=1e-7)
    assert (x[1], y[1]) == (2.35, 48.85)
    assert math.isnan(x[2]) and math.isnan(y[2])
    assert (x[3], y[3]) == pytest.approx(geo.gcj02_to_wgs84(115.8, 32.9), abs=1e-12)
    bx, by = geo.to_wgs84_array(lons[[3]], lats[[3]], "BD09")
    assert (bx[0], by[0]) == pytest.approx(geo.bd09_to_wgs84(115.8, 32.9), abs=1e-12)


def test_convert_geojson_deep_copies_and_converts_all_types():
    gcj = geo.wgs84_to_gcj02(115.8, 32.9)
    fc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"a": [1]},
                "geometry": {"type": "Point", "coordinates": list(gcj)},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [list(gcj)] * 2},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "MultiLineString", "coordinates": [[list(gcj)]]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "Polygon", "coordinates": [[list(gcj)]]},
            },
            {
                "type": "Feature",
                "properties": {},
                "geometry": {"type": "MultiPolygon", "coordinates": [[[list(gcj)]]]},
            },
            {"type": "Feature", "properties": {}, "geometry": None},
        ],
    }
    out = geo.convert_geojson(fc, "高德")
    assert fc["features"][0]["geometry"]["coordinates"] == list(gcj)  # input untouched
    assert out["features"][0]["properties"] == {"a": [1]}
    assert out["features"][0]["properties"] is not fc["features"][0]["properties"]
    expected = [115.8, 32.9]
    assert out["features"][0]["geometry"]["coordinates"] == expected
    assert out["features"][1]["geometry"]["coordinates"] == [expected, expected]
    assert out["features"][2]["geometry"]["coordinates"] == [[expected]]
    assert out["features"][3]["geometry"]["coordinates"] == [[expected]]
    assert out["features"][4]["geometry"]["coordinates"] == [[[expected]]]
    assert out["features"][5]["geometry"] is None
    point = geo.convert_geojson({"type": "Point", "coordinates": [115.1234567, 32.1]}, "WGS84")
    assert point["coordinates"] == [115.123457, 32.1]


# --- distances and paths -----------------------------------------------------


def test_haversine_one_degree_of_latitude_and_longitude_at_equator():
    assert geo.haversine_m(116.0, 32.0, 116.0, 33.0) == pytest.approx(DEG_M, rel=1e-12)
    assert geo.haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(DEG_M, rel=1e-12)
    assert geo.haversine_m(116.0, 32.0, 116.0, 32.0) == 0.0


def test_haversine_array_matches_scalar():
    lon1, lat1 = np.array([116.0, 115.8]), np.array([32.0, 32.9])
    lon2, lat2 = np.array([116.0, 116.27]), np.array([33.0, 32.63])
    got = geo.haversine_m_array(lon1, lat1, lon2, lat2)
    want = [geo.haversine_m(115.8, 32.9, 116.27, 32.63)]
    assert got[0] == pytest.approx(DEG_M) and got[1] == pytest.approx(want[0], rel=1e-12)


MERIDIAN = [[116.0, 32.0], [116.0, 33.0], [116.0, 35.0]]


def test_path_length_and_cumulative():
    assert geo.path_length_m(MERIDIAN) == pytest.approx(3 * DEG_M)
    assert geo.cumulative_m(MERIDIAN) == pytest.approx([0.0, DEG_M, 3 * DEG_M])
    assert geo.path_length_m([]) == 0.0
    assert geo.path_length_m([[116.0, 32.0]]) == 0.0


@pytest.mark.parametrize(
    ("distance", "expected"),
    [
        (0.0, (116.0, 32.0)),
        (0.5 * DEG_M, (116.0, 32.5)),
        (DEG_M, (116.0, 33.0)),
        (2 * DEG_M, (116.0, 34.0)),
        (-10.0, (116.0, 32.0)),
        (99 * DEG_M, (116.0, 35.0)),
    ],
)
def test_point_at(distance, expected):
    assert geo.point_at(MERIDIAN, distance) == pytest.approx(expected, abs=1e-9)


def test_point_at_empty_path_raises():
    with pytest.raises(ValueError):
        geo.point_at([], 0.0)


def test_subpath():
    sub = geo.subpath(MERIDIAN, 0.5 * DEG_M, 2 * DEG_M)
    assert len(sub) == 3
    for got, want in zip(sub, [[116.0, 32.5], [116.0, 33.0], [116.0, 34.0]], strict=True):
        assert got == pytest.approx(want, abs=1e-9)
    reversed_args = geo.subpath(MERIDIAN, 2 * DEG_M, 0.5 * DEG_M)
    np.testing.assert_allclose(reversed_args, sub, atol=1e-12)
    np.testing.assert_allclose(geo.subpath(MERIDIAN, -1.0, 1e12), MERIDIAN, atol=1e-9)
    np.testing.assert_allclose(
        geo.subpath(MERIDIAN, 0.25 * DEG_M, 0.75 * DEG_M), [[116.0, 32.25], [116.0, 32.75]]
    )
    assert geo.subpath([], 0.0, 1.0) == []


# --- polygons ----------------------------------------------------------------

OUTER = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]
HOLE = [[4.0, 4.0], [6.0, 4.0], [6.0, 6.0], [4.0, 6.0], [4.0, 4.0]]
SQUARE_WITH_HOLE = {"type": "Polygon", "coordinates": [OUTER, HOLE]}
FAR_SQUARE = [[20.0, 0.0], [22.0, 0.0], [22.0, 2.0], [20.0, 2.0], [20.0, 0.0]]
MULTI = {"type": "MultiPolygon", "coordinates": [[OUTER, HOLE], [FAR_SQUARE]]}


@pytest.mark.parametrize(
    ("point", "inside"),
    [((1.0, 1.0), True), ((5.0, 5.0), False), ((3.0, 5.0), True), ((11.0, 5.0), False)],
)
def test_point_in_polygon_with_hole(point, inside):
    assert geo.point_in_polygon(*point, SQUARE_WITH_HOLE) is inside
    assert geo.point_in_polygon(*point, MULTI) is inside


def test_point_in_multipolygon_second_part():
    assert geo.point_in_polygon(21.0, 1.0, MULTI)
    assert not geo.point_in_polygon(21.0, 1.0, SQUARE_WITH_HOLE)
    assert not geo.point_in_polygon(1.0, 1.0, {"type": "Point", "coordinates": [1.0, 1.0]})


def test_locate_unit_and_bbox():
    features = [
        {"type": "Feature", "properties": {"adcode": 1}, "geometry": SQUARE_WITH_HOLE},
        {"type": "Feature", "properties": {"adcode": 2}, "geometry": MULTI},
    ]
    assert geo.locate_unit(1.0, 1.0, features) == "1"
    assert geo.locate_unit(21.0, 1.0, features) == "2"
    assert geo.locate_unit(5.0, 5.0, features) is None
    assert geo.locate_unit(21.0, 1.0, features, key="missing") is None
    assert geo.bbox(SQUARE_WITH_HOLE) == (0.0, 0.0, 10.0, 10.0)
    assert geo.bbox({"type": "FeatureCollection", "features": features}) == (0.0, 0.0, 22.0, 10.0)
    with pytest.raises(ValueError):
        geo.bbox({"type": "FeatureCollection", "features": []})


@pytest.mark.skipif(not FUYANG_COUNTIES.exists(), reason="real Fuyang boundary file not present")
def test_locate_unit_on_real_fuyang_boundaries():
    data = json.loads(FUYANG_COUNTIES.read_text(encoding="utf-8"))
    wgs = geo.convert_geojson(data, "GCJ02")
    assert geo.locate_unit(115.80, 32.88, wgs["features"]) == "341202"
    assert geo.locate_unit(116.27, 32.63, wgs["features"]) == "341226"
    min_lon, min_lat, max_lon, max_lat = geo.bbox(wgs)
    assert 114.8 < min_lon < max_lon < 116.8 and 32.2 < min_lat < max_lat < 33.8


# --- stakes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("K123+500", 123500),
        ("k123+500", 123500),
        ("K123+500m", 123500),
        ("K123+500M", 123500),
        ("123K+500", 123500),
        ("1325Km+500m", 1325500),
        ("123公里500米", 123500),
        ("77公里加800米", 77800),
        ("123.5", 123500),
        ("123", 123000),
        ("K123", 123000),
        ("  K1+005  ", 1005),
        ("Ｋ１２３＋５００", 123500),
        ("K0+000", 0),
    ],
)
def test_parse_stake(text, metres):
    assert geo.parse_stake(text) == metres


@pytest.mark.parametrize(
    "text", [None, "", "   ", "abc", "K12+1500", "K+500", "K12+500-K13+000", float("nan")]
)
def test_parse_stake_unparseable(text):
    assert geo.parse_stake(text) is None


@pytest.mark.parametrize(
    "text", ["9" * 400, "K" + "9" * 400 + "+000", "9" * 400 + "公里", 1e306, float("inf")]
)
def test_a_stake_too_large_for_a_float_is_none_not_a_traceback(text):
    assert geo.parse_stake(text) is None
    assert geo.parse_stake_range(text) is None


@pytest.mark.parametrize(
    ("value", "metres"), [(123.5, 123500), (12, 12000), (np.float64(0.3), 300), (-1.0, None)]
)
def test_parse_stake_numbers_are_kilometres(value, metres):
    assert geo.parse_stake(value) == metres
    assert geo.parse_stake(float("inf")) is None
    assert geo.parse_stake_range(value) == (None if metres is None else (metres, metres))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("K867+000-K877+000", (867000, 877000)),
        ("K867+000～K877+000", (867000, 877000)),
        ("K867+000~K877+000", (867000, 877000)),
        ("K867+000至K877+000", (867000, 877000)),
        ("867公里至877公里", (867000, 877000)),
        ("K12+300—K12+800", (12300, 12800)),
        ("K12+800 - K12+300", (12300, 12800)),
        ("K12+300", (12300, 12300)),
    ],
)
def test_parse_stake_range(text, expected):
    assert geo.parse_stake_range(text) == expected


@pytest.mark.parametrize("text", [None, "", "K1-K2-K3", "K12+300-abc", "一段路"])
def test_parse_stake_range_unparseable(text):
    assert geo.parse_stake_range(text) is None


@pytest.mark.parametrize(
    ("metres", "text"), [(123500, "K123+500"), (1005, "K1+005"), (0, "K0+000"), (999, "K0+999")]
)
def test_format_stake(metres, text):
    assert geo.format_stake(metres) == text
    assert geo.parse_stake(text) == metres


@pytest.mark.parametrize(
    ("km", "m", "expected"),
    [
        (12, 300, 12300),
        (12.0, 300.0, 12300),
        ("12", "300", 12300),
        (12, None, 12000),
        (12, "", 12000),
        (12, float("nan"), 12000),
        (None, 300, None),
        (float("nan"), 300, None),
        ("", "", None),
        (12, 1000, None),
        (12, -1, None),
        (12, 999, 12999),
        ("abc", 5, None),
        ("1e308", None, None),  # finite, but ×1000 is infinite: no stake, never a traceback
        (1e306, 5, None),
        ("inf", 0, None),
    ],
)
def test_stake_from_km_m(km, m, expected):
    assert geo.stake_from_km_m(km, m) == expected


def test_locate_units_agrees_with_locate_unit_on_the_real_outlines() -> None:
    data = geo.convert_geojson(json.loads(FUYANG_COUNTIES.read_text("utf-8")), "GCJ02")
    rng = np.random.default_rng(1)
    lons = rng.uniform(114.8, 116.7, 800)
    lats = rng.uniform(32.35, 33.65, 800)
    fast = geo.locate_units(lons, lats, data["features"])
    slow = [geo.locate_unit(x, y, data["features"]) for x, y in zip(lons, lats, strict=True)]
    assert fast == slow
    assert 0 < sum(u is None for u in fast) < 800  # some points fall outside the city


def test_points_in_polygon_with_a_hole() -> None:
    square = {
        "type": "Polygon",
        "coordinates": [
            [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
            [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]],
        ],
    }
    got = geo.points_in_polygon(np.array([1.0, 5.0, 11.0]), np.array([1.0, 5.0, 5.0]), square)
    assert got.tolist() == [True, False, False]


def test_stake_subpath_maps_stakes_linearly_onto_the_drawn_path() -> None:
    # a segment K1+000–K2+000 drawn as a straight meridian line of 0.01° (1,111.95 m)
    path = [[116.0, 32.0], [116.0, 32.01]]
    part = geo.stake_subpath(path, 1000, 2000, 1250, 1750)
    assert part[0] == pytest.approx([116.0, 32.0025], abs=1e-9)
    assert part[-1] == pytest.approx([116.0, 32.0075], abs=1e-9)
    assert geo.stake_subpath(path, 1000, 2000, 1500, 1500)[0] == pytest.approx([116.0, 32.005])


def test_format_stake_range() -> None:
    assert geo.format_stake_range(12300, 12800) == "K12+300—K12+800"
    assert geo.format_stake_range(12300, 12300) == "K12+300"
    assert geo.format_stake_range(12300, None) == "K12+300"
    assert geo.format_stake_range(12300.0, float("nan")) == "K12+300"
    assert geo.format_stake_range(None, 5) == ""


def test_parse_stake_plain_spelling_matches_the_general_reading() -> None:
    # the fast path for K<km>+<3 digits> gives what cleaning and the patterns give
    for text, metres in [
        ("K0+000", 0),
        ("K12+300", 12_300),
        ("K012+045", 12_045),
        ("K123456+999", 123_456_999),
        ("K1234567+000", 1_234_567_000),  # 7 digits: the general reading
        ("k12+300", 12_300),
        ("K12+3000", None),
        ("Ｋ12＋300", 12_300),
    ]:
        assert geo.parse_stake(text) == metres, text
        assert geo._stake_metres(geo._clean(text)) == metres, text
