"""City configuration: Fuyang by default, outlines converted to WGS-84, a second city works."""

from __future__ import annotations

import json

import pytest

from analytics import city as city_mod
from analytics import geo
from tests.conftest import ROOT


def test_fuyang_units(fuyang) -> None:
    assert (fuyang.name, fuyang.adcode) == ("阜阳市", "341200")
    assert [u.adcode for u in fuyang.units] == [
        "341202",
        "341203",
        "341204",
        "341221",
        "341222",
        "341225",
        "341226",
        "341282",
        "341271",
        "341272",
    ]
    assert [u.kind for u in fuyang.units].count("zone") == 2
    assert fuyang.profile == {
        "population_wan": 820.0,
        "motor_vehicles_wan": 141.0,
        "drivers_wan": 169.0,
        "road_km": 18600.0,
    }
    assert fuyang.map.basemap_url == ""  # no basemap by default: nothing fetched from outside


@pytest.mark.parametrize(
    ("text", "adcode"),
    [
        ("颍上县", "341226"),
        ("颍上", "341226"),
        ("341226", "341226"),
        (341226, "341226"),
        (" 界首市大队 ", "341282"),
        ("开发区", "341272"),
    ],
)
def test_resolve_unit(fuyang, text, adcode) -> None:
    assert fuyang.resolve_unit(text).adcode == adcode


@pytest.mark.parametrize("text", ["", None, "合肥", "3412"])
def test_unknown_unit_is_none(fuyang, text) -> None:
    assert fuyang.resolve_unit(text) is None


def test_outlines_are_converted_from_gcj02(fuyang) -> None:
    raw = json.loads((ROOT / "data/boundaries/341200_fuyang_counties.json").read_text("utf-8"))
    converted = city_mod.boundaries(fuyang)
    assert len(converted["features"]) == 8
    lon0, lat0 = raw["features"][0]["geometry"]["coordinates"][0][0][0]
    lon1, lat1 = converted["features"][0]["geometry"]["coordinates"][0][0][0]
    # converting back gives the file's GCJ-02 vertex; the shift is a few hundred metres
    back = geo.wgs84_to_gcj02(lon1, lat1)
    assert back == pytest.approx((lon0, lat0), abs=2e-6)
    assert 300 < geo.haversine_m(lon0, lat0, lon1, lat1) < 800


def test_each_seat_lies_in_its_own_outline(fuyang) -> None:
    features = city_mod.boundaries(fuyang)["features"]
    for u in fuyang.units:
        if u.seat:
            assert geo.locate_unit(*u.seat, features, key="unit_code") == u.adcode, u.name


def test_tiny_city(tiny_city) -> None:
    assert tiny_city.name == "示例市"
    assert [u.name for u in tiny_city.units] == ["东区", "西区", "示例新区"]
    assert tiny_city.detachment == "示例市公安局交通警察支队"
    features = city_mod.boundaries(tiny_city)["features"]
    assert geo.locate_unit(100.15, 30.05, features, key="unit_code") == "990101"
    assert geo.locate_unit(100.05, 30.05, features, key="unit_code") == "990102"


def test_broken_city_files_say_what_is_wrong(tmp_path) -> None:
    with pytest.raises(city_mod.CityConfigError, match="找不到城市配置文件"):
        city_mod.load_city(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[city]\nname = '某市'\n[[units]]\nadcode = '1'\nname = '甲'\n", "utf-8")
    with pytest.raises(city_mod.CityConfigError, match="缺少必填项 'adcode'"):
        city_mod.load_city(bad)
    bad.write_text("[city\n", encoding="utf-8")
    with pytest.raises(city_mod.CityConfigError, match="格式错误"):
        city_mod.load_city(bad)
    bad.write_text(
        "[city]\nname = '某市'\nadcode = '1'\n[map]\nboundary_coord_system = 'XYZ'\n"
        "[[units]]\nadcode = '1'\nname = '甲'\n",
        "utf-8",
    )
    with pytest.raises(city_mod.CityConfigError, match="无法识别的坐标系"):
        city_mod.load_city(bad)
