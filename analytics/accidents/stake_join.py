"""Joins on stake ranges of one route, made equality joins on (route, kilometre) first.

A range join written plainly (same route, stakes overlapping) compares every row of a route with
every other row of that route: at province scale 20,000 sites against the accidents of 200
routes are tens of millions of comparisons. Listing each range once per kilometre it touches
and joining on (route, kilometre) leaves the stake test to the rows of the same kilometre; the
answer is the same rows (two overlapping ranges share a kilometre, and each pair is kept in the
first kilometre they share only). docs/performance.md has the measurements.
"""

from __future__ import annotations

BUCKET_M = 1000


def by_kilometre(source: str, lo: str, hi: str) -> str:
    """SQL text: each row of `source` (a query) once per kilometre its stake
    range [lo, hi] touches (either order), as column `km`, with `km_first`, the first of them.
    lo and hi are column expressions of `source` (fixed text, never user input). Kilometres are
    counted on the stakes cast to BIGINT: any rounding that never decreases keeps a stake inside a
    range within the range's kilometres, so a DOUBLE column joins correctly too."""
    first = f"least(CAST({lo} AS BIGINT), CAST({hi} AS BIGINT)) // {BUCKET_M}"
    last = f"greatest(CAST({lo} AS BIGINT), CAST({hi} AS BIGINT)) // {BUCKET_M}"
    return (
        f"SELECT *, {first} AS km_first, unnest(range({first}, {last} + 1)) AS km"  # noqa: S608
        f" FROM ({source})"
    )


def at_kilometre(source: str, stake: str) -> str:
    """SQL text: each row of `source` with the kilometre its stake lies in, as column `km`."""
    return f"SELECT *, CAST({stake} AS BIGINT) // {BUCKET_M} AS km FROM ({source})"  # noqa: S608


def once(a: str, b: str) -> str:
    """SQL condition keeping a pair of two by_kilometre rows (aliases a, b) whose ranges overlap
    in the first kilometre they share only, so the pair is joined once."""
    return f"{a}.km = greatest({a}.km_first, {b}.km_first)"
