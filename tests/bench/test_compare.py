"""bench/compare.py: the lines --compare prints, on two small hand-made runs."""

from __future__ import annotations

from bench import compare


def test_every_figure_is_compared_and_a_slower_one_is_marked():
    old = {"a (ms)": 100.0, "b (ms)": 50.0, "c (x)": 2.0, "gone (ms)": 7.0, "zero (ms)": 0.0}
    new = {"a (ms)": 111.0, "b (ms)": 55.0, "c (x)": 4.0, "zero (ms)": 3.0, "new (ms)": 9.5}
    assert compare.lines(old, new) == [
        "figure            old         new  new/old",
        "a (ms)          100.0       111.0    1.11x  SLOWER",
        "b (ms)           50.0        55.0    1.10x",
        "c (x)             2.0         4.0    2.00x",
        "zero (ms)         0.0         3.0      n/a",
        "new (ms)                      9.5  only in this run",
        "gone (ms)         7.0              only in the old run",
    ]
