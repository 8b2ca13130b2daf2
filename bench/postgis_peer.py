"""The GIS engineer's peer for coordinate clusters: PostGIS ST_ClusterDBSCAN on a throwaway
PostgreSQL (bench/pg_server.py), computing the same sites as analytics/accidents/search.py's
coord_sites.

Our rule and DBSCAN differ in four places, so DBSCAN does only the part it does exactly:
- Core test: DBSCAN counts points (minpoints); our rule sums a measure over the accidents within
  R (a property-only accident next to four injury accidents qualifies under "≥4 伤亡事故", and
  counting only the injury accidents would miss it). So the qualifying accidents come from an
  ST_DWithin self-join with sum(measure) >= threshold.
- Chaining: DBSCAN with minpoints = 1 over the qualifying accidents makes every one of them a
  core point, so its clusters are the connected components of "within eps": our single linkage.
- Border points: DBSCAN gives a border point to one cluster only; our site holds every accident
  within R of any of its qualifying accidents (one may belong to two sites). So the members come
  from an ST_DWithin join of the qualifying accidents with all accidents.
- Distance: ours is great-circle (haversine, radius 6,371,008.8 m); DBSCAN is planar. The points
  are projected with a transverse Mercator on that same sphere, centred on the data, whose scale
  factor k is >= 1 everywhere, so great-circle <= planar <= k_max * great-circle. The joins use
  the projected index with R * k_max, then the haversine test itself (exact). For the chaining,
  DBSCAN runs twice, eps = R (links a subset of ours) and eps = R * k_max (a superset); equal
  partitions prove the linkage equals ours ("proven"). Done all on the plane instead
  (ST_DWithin and DBSCAN at R on the projected points), the 1,000,000 scale accidents gave
  15,094 sites against our 15,097 (15 of ours not among its member sets, 12 of its not among
  ours): pairs a centimetre or two either side of R, where the projection stretches distance.
DBSCAN knows no time: the rule's time window selects the accidents before they are loaded.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from analytics.geo import EARTH_RADIUS_M

SPHERE = 990000  # SRIDs of our own (PostGIS allows up to 998999)
TMERC = 990001

QUALIFY = """
CREATE TABLE qualifying AS
SELECT a.i, a.g, a.p, a.c, a.lon
FROM acc AS a
INNER JOIN acc AS b ON b.m > 0 AND ST_DWithin(a.g, b.g, $1)
    AND 2 * $2 * asin(least(1.0, sqrt(
        sin((b.p - a.p) / 2) ^ 2 + a.c * b.c * sin(radians(b.lon - a.lon) / 2) ^ 2
    ))) <= $3
GROUP BY a.i, a.g, a.p, a.c, a.lon
HAVING sum(b.m) >= $4
"""
CHAIN = """
CREATE TABLE chained AS
SELECT i, g, p, c, lon,
    ST_ClusterDBSCAN(g, $1, 1) OVER (ORDER BY i) AS k,
    ST_ClusterDBSCAN(g, $2, 1) OVER (ORDER BY i) AS k_wide
FROM qualifying
"""
PROVEN = """
SELECT count(DISTINCT k) = count(DISTINCT k_wide)
    AND count(DISTINCT k) = count(DISTINCT (k, k_wide))
FROM chained
"""
MEMBERS = """
SELECT DISTINCT q.k, a.i
FROM chained AS q
INNER JOIN acc AS a ON ST_DWithin(q.g, a.g, $1)
    AND 2 * $2 * asin(least(1.0, sqrt(
        sin((a.p - q.p) / 2) ^ 2 + q.c * a.c * sin(radians(a.lon - q.lon) / 2) ^ 2
    ))) <= $3
"""
PLAIN = """
SELECT count(DISTINCT k) FROM (
    SELECT ST_ClusterDBSCAN(g, $1, CAST($2 AS integer)) OVER (ORDER BY i) AS k FROM acc WHERE m > 0
) AS d
"""


@dataclass(frozen=True)
class Clusters:
    sites: list[tuple[int, ...]]  # each site's accident indexes, sorted; the list sorted
    proven: bool  # the eps = R and eps = R * k_max chainings agree (see the module docstring)
    load_ms: float
    cluster_ms: float


def _connect(url: str):  # ANN202
    import adbc_driver_postgresql.dbapi as pg

    return pg.connect(url, autocommit=True)


def new_database(server_url: str) -> str:
    """A fresh database with PostGIS on the server; its URL."""
    from analytics.store import mirror

    url = mirror.create_database(server_url, "peer_" + uuid.uuid4().hex[:12])
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute("CREATE EXTENSION postgis")
    return url


def _tmerc(lon: np.ndarray, lat: np.ndarray) -> tuple[str, float]:
    """The projection's PROJ string and its largest scale factor over the points."""
    lon0 = float((lon.min() + lon.max()) / 2) if len(lon) else 0.0
    lat0 = float((lat.min() + lat.max()) / 2) if len(lat) else 0.0
    b = np.cos(np.radians(lat)) * np.sin(np.radians(lon - lon0))
    k_max = float(1 / np.sqrt(1 - (b * b).max())) if len(b) else 1.0
    proj = (
        f"+proj=tmerc +lat_0={lat0!r} +lon_0={lon0!r} +k=1 +x_0=0 +y_0=0"
        f" +R={EARTH_RADIUS_M!r} +units=m +no_defs"
    )
    return proj, k_max * (1 + 1e-9)


def clusters(
    url: str,
    lon: np.ndarray,
    lat: np.ndarray,
    values: np.ndarray,
    threshold: float,
    radius_m: float,
) -> Clusters:
    """Load the accidents (index i, measure m) into ``url``'s database (which has PostGIS) and
    find the coordinate sites of "measure within radius_m >= threshold"."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    proj, k_max = _tmerc(lon, lat)
    rows = pa.table(
        {
            "i": np.arange(len(lon), dtype=np.int64),
            "lon": lon,
            "lat": lat,
            "m": np.asarray(values, dtype=np.float64),
        }
    )
    with _connect(url) as conn, conn.cursor() as cur:
        for table in ("members", "chained", "qualifying", "acc", "raw"):
            cur.execute("DROP TABLE IF EXISTS " + table)
        cur.execute("DELETE FROM spatial_ref_sys WHERE srid IN (990000, 990001)")
        t = time.perf_counter()
        cur.execute(
            "INSERT INTO spatial_ref_sys (srid, proj4text) VALUES ($1, $2), ($3, $4)",
            parameters=(
                SPHERE,
                f"+proj=longlat +R={EARTH_RADIUS_M!r} +no_defs",
                TMERC,
                proj,
            ),
        )
        cur.adbc_ingest("raw", rows, mode="create")
        cur.execute(
            "CREATE TABLE acc AS SELECT i, m, lon, radians(lat) AS p, cos(radians(lat)) AS c,"
            " ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 990000), 990001) AS g FROM raw"
        )
        cur.execute("CREATE INDEX ON acc USING gist (g)")
        cur.execute("ANALYZE acc")
        load_ms = (time.perf_counter() - t) * 1000
        t = time.perf_counter()
        wide = radius_m * k_max
        cur.execute(QUALIFY, parameters=(wide, EARTH_RADIUS_M, radius_m, threshold))
        cur.execute(CHAIN, parameters=(radius_m, wide))
        cur.execute(PROVEN)
        proven = bool(cur.fetchone()[0])
        cur.execute(MEMBERS, parameters=(wide, EARTH_RADIUS_M, radius_m))
        found = cur.fetch_arrow_table()
        cluster_ms = (time.perf_counter() - t) * 1000
    sites = member_sets(found.column(0).to_numpy(), found.column(1).to_numpy())
    return Clusters(sites, proven, load_ms, cluster_ms)


def plain_dbscan_count(url: str, threshold: float, radius_m: float) -> int:
    """Clusters of the textbook call, ST_ClusterDBSCAN(eps = R, minpoints = threshold) over the
    counting accidents on the projected points (run after ``clusters``); for the docs' note on
    how far that is from our rule."""
    with _connect(url) as conn, conn.cursor() as cur:
        cur.execute(PLAIN, parameters=(radius_m, math.ceil(threshold)))
        return int(cur.fetchone()[0])


def member_sets(site: np.ndarray, index: np.ndarray) -> list[tuple[int, ...]]:
    """Sites as sorted tuples of accident indexes, sorted (site numbering is ignored)."""
    if not len(site):
        return []
    order = np.lexsort((index, site))
    site, index = np.asarray(site)[order], np.asarray(index)[order]
    cut = np.flatnonzero(np.diff(site)) + 1
    return sorted(tuple(int(x) for x in part) for part in np.split(index, cut))
