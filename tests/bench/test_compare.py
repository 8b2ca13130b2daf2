"""bench/compare.py: the lines --compare prints, on small hand-made runs."""

from __future__ import annotations

from bench import compare, reference


def test_every_figure_is_compared_and_a_slower_one_is_marked():
    old = {"a (ms)": 100.0, "b (ms)": 50.0, "c (x)": 2.0, "gone (ms)": 7.0, "zero (ms)": 0.0}
    new = {"a (ms)": 111.0, "b (ms)": 55.0, "c (x)": 4.0, "zero (ms)": 3.0, "new (ms)": 9.5}
    assert compare.lines(old, new) == [
        "the fixed reference workload is not in both runs: no allowance for the machine's speed",
        "figure            old         new  new/old",
        "a (ms)          100.0       111.0    1.11x  SLOWER",
        "b (ms)           50.0        55.0    1.10x",
        "c (x)             2.0         4.0    2.00x",
        "zero (ms)         0.0         3.0      n/a",
        "new (ms)                      9.5  only in this run",
        "gone (ms)         7.0              only in the old run",
    ]


def test_a_figure_is_slower_only_beyond_the_machines_own_slowdown():
    # the reference took (300 + 340) / (250 + 250) = 1.28 times as long, so the limit is
    # 1.10 × 1.28 = 1.408: a figure that grew 1.40x is the machine, one that grew 1.50x is not
    machine = {reference.AT_START: 250.0, reference.AT_END: 250.0}
    old = machine | {"same code (ms)": 100.0, "regressed (ms)": 100.0}
    new = {
        reference.AT_START: 300.0,
        reference.AT_END: 340.0,
        "same code (ms)": 140.0,
        "regressed (ms)": 150.0,
    }
    out = compare.lines(old, new)
    assert out[0] == "the machine ran the fixed reference workload in 1.28x the old run's time"
    marked = {line.split("  ")[0] for line in out if line.endswith("SLOWER")}
    assert marked == {"regressed (ms)"}


def test_a_faster_machine_makes_an_unchanged_figure_slower():
    old = {reference.AT_START: 400.0, reference.AT_END: 400.0, "f (ms)": 100.0}
    new = {reference.AT_START: 200.0, reference.AT_END: 200.0, "f (ms)": 60.0}
    out = compare.lines(old, new)
    assert out[0] == "the machine ran the fixed reference workload in 0.50x the old run's time"
    assert [line for line in out if line.startswith("f (ms)")][0].endswith("SLOWER")


def test_the_reference_workload_does_all_its_work():
    # 100,000 distinct stakes (i mod 997 and 7i mod 1000 fix i mod 997,000, and i < 100,000), the
    # smallest fraction is i = 0's (position 0), and 1,000 DuckDB groups
    assert reference.workload() == 100_000 + 0 + 1_000
