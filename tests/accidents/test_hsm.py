"""The Highway Safety Manual's sliding window and peak searching (analytics/accidents/hsm.py)."""

import pytest

from analytics.accidents import hsm

# HSM peak-searching worked example: a 0.47 mi segment. Values and CVs per window as printed.
FIRST = {
    (0.0, 0.1): (5.2, 0.53),
    (0.1, 0.2): (7.8, 0.36),
    (0.2, 0.3): (1.1, 2.53),
    (0.3, 0.4): (6.5, 0.43),
    (0.37, 0.47): (7.8, 0.36),
}
SECOND = {
    (0.0, 0.2): (6.50, 0.25),
    (0.1, 0.3): (4.45, 0.36),
    (0.2, 0.4): (3.80, 0.42),
    (0.27, 0.47): (7.15, 0.22),
}


def _lookup(s: float, e: float) -> tuple[float, float]:
    key = (round(s, 2), round(e, 2))
    return {**FIRST, **SECOND}[key]


def test_windows_align_the_last_one_to_the_segment_end():
    got = [(round(s, 2), round(e, 2)) for s, e in hsm.windows(0, 0.47, 0.1, 0.1)]
    assert got == list(FIRST)
    got = [(round(s, 2), round(e, 2)) for s, e in hsm.windows(0, 0.47, 0.2, 0.1)]
    assert got == list(SECOND)
    assert hsm.windows(0, 0.47, 0.5, 0.1) == [(0, 0.47)]
    assert hsm.windows(100, 400, 100, 100) == [(100, 200), (200, 300), (300, 400)]


def test_peak_searching_reproduces_the_manuals_example():
    result = hsm.peak_search(0, 0.47, _lookup, first=0.1, growth=0.1, cv_limit=0.25)
    assert result.passed
    assert result.window.value == 7.15
    assert (round(result.window.start, 2), round(result.window.end, 2)) == (0.27, 0.47)
    assert [len(it) for it in result.iterations] == [5, 4]  # the 0.1 mi iteration had no pass
    assert not any(w.cv < 0.25 for w in result.iterations[0])


def test_peak_searching_falls_back_to_the_whole_segment():
    result = hsm.peak_search(0, 300, lambda s, e: (e - s, 1.0), first=100, growth=100)
    assert not result.passed
    assert (result.window.start, result.window.end, result.window.value) == (0, 300, 300)
    assert [len(it) for it in result.iterations] == [3, 2, 1]


def test_sliding_window_keeps_the_first_worst_window():
    values = {0: 1.0, 100: 4.0, 200: 4.0, 300: 2.0}
    best = hsm.sliding_window(0, 500, 200, 100, lambda s, e: values[s])
    assert (best.start, best.end, best.value) == (100, 300, 4.0)


@pytest.mark.parametrize("length", [0.1, 0.2])
def test_window_count_matches_the_manual(length):
    assert len(hsm.windows(0, 0.47, length, 0.1)) == {0.1: 5, 0.2: 4}[length]


@pytest.mark.parametrize("halves", [False, True])
@pytest.mark.parametrize("seed", range(30))
def test_peak_windows_for_many_segments_equal_peak_search_one_by_one(seed, halves, monkeypatch):
    """As one loop, and as a province's search runs: the segments in two halves side by side."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from analytics import workers
    from analytics.accidents import search
    from analytics.accidents.search import peak_windows

    if halves:
        monkeypatch.setattr(search, "_PARALLEL_FROM", 1)
        monkeypatch.setattr(workers, "_WORKER", ThreadPoolExecutor(1, workers._NAME))
    rng = np.random.default_rng(seed)
    stake = rng.integers(0, 5000, int(rng.integers(0, 120)))
    values = rng.choice([1.0, 3.0, 12.0], len(stake))
    bounds = np.sort(rng.choice(np.arange(0, 5001, 50), 8, replace=False))
    lo, hi = bounds[:-1], bounds[1:]
    first, growth = int(rng.choice([100, 161])), int(rng.choice([100, 161, 300]))
    limit = float(rng.choice([0.25, 0.5, 0.8]))
    got = peak_windows(stake, values, lo, hi, first=first, growth=growth, cv_limit=limit)

    def stats(a, b):  # ANN202
        inside = values[(stake >= a) & (stake <= b)]
        total = inside.sum()
        return total, (np.sqrt((inside**2).sum()) / total if total > 0 else None)

    for i in range(len(lo)):
        want = hsm.peak_search(
            int(lo[i]), int(hi[i]), stats, first=first, growth=growth, cv_limit=limit
        )
        assert (got.start[i], got.end[i], got.value[i], got.passed[i]) == (
            want.window.start,
            want.window.end,
            want.window.value,
            want.passed,
        ), i


@pytest.mark.parametrize(
    ("start", "end", "length", "step"),
    [
        (0, 756, 161, 161),  # the Manual's 0.47 mi segment in metres: the last window to the end
        (0, 644, 161, 161),  # windows end exactly on the end: no extra one
        (100, 200, 483, 161),  # one window when the length covers it all
        (0.0, 0.47, 0.2, 0.1),
        (3, 100_003, 483, 161),
        (0, 483, 483, 161),
    ],
)
def test_window_bounds_are_the_windows(start, end, length, step):
    assert hsm.window_bounds(start, end, length, step).tolist() == [
        list(w) for w in hsm.windows(start, end, length, step)
    ]
