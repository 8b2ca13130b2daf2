"""Shared fixtures: the Fuyang city, a demo database built once per run, tiny databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics import city as city_mod
from analytics import demo

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def fuyang() -> city_mod.City:
    return city_mod.load_city(ROOT / "data" / "city.toml")


@pytest.fixture(scope="session")
def demo_db_path(tmp_path_factory: pytest.TempPathFactory, fuyang: city_mod.City) -> Path:
    """The demo city (seed 2022) written once; tests that write must copy it first."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.create_database(path, fuyang, 2022)
    return path


@pytest.fixture(scope="session")
def tiny_city() -> city_mod.City:
    return city_mod.load_city(FIXTURES / "tinycity" / "city.toml")
