"""analytics/bulk.py: the collector paused inside, its state given back after."""

import gc

import pytest

from analytics.bulk import bulk


def test_the_collector_is_paused_inside_and_back_on_after_even_on_an_error():
    assert gc.isenabled()
    with bulk():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), bulk():
        raise ValueError
    assert gc.isenabled()


def test_a_collector_already_off_stays_off():
    gc.disable()
    try:
        with bulk():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_as_a_decorator():
    @bulk()
    def inside():
        return gc.isenabled()

    assert inside() is False and gc.isenabled()
