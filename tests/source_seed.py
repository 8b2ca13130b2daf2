"""A few source-hazard lists imported into a store (as the detachment would import them), for
the 重点车辆与驾驶人 page's tests: every case and figure here is worked out by hand below."""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from analytics.accounts import auth
from analytics.city import City
from analytics.ingest import sources as ingest

NOW = datetime(2022, 9, 15, 10, 0)
ADMIN = auth.User("admin", "支队管理员", "admin", None)
YINGSHANG, YINGZHOU = "341226", "341202"
_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(first17: str) -> str:
    """An 18-digit ID number with its check digit."""
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _W, strict=True)) % 11]


DRIVER_ID = id_number("34122619800101123")
OTHER_DRIVER_ID = id_number("34120219900202456")
OWNER = "张三明"
DRIVER = "李四华"
PHONE = "13812345678"

HEAD = "号牌号码,号牌种类,所属区县,使用性质,所属企业,所有人,处理状态\n"
VEHICLES = {
    # 2022-01-31: three vehicles listed (two in 颍上县, one in 颍州区)
    date(2022, 1, 31): [
        f"皖K11111,02,颍上县,旅游客运,,{OWNER},",
        "皖K22222,01,颍州区,危化品运输,阜阳危货运输有限公司,阜阳危货运输有限公司,",
        "皖K33333,01,颍上县,班线客运,颍上客运有限公司,颍上客运有限公司,",
    ],
    # 2022-02-28: K11111 cleared (已检验), K33333 absent (cleared), K44444 new, K22222 stays
    date(2022, 2, 28): [
        f"皖K11111,02,颍上县,旅游客运,,{OWNER},已检验",
        "皖K22222,01,颍州区,危化品运输,阜阳危货运输有限公司,阜阳危货运输有限公司,",
        "皖K44444,01,颍州区,危化品运输,阜阳危货运输有限公司,阜阳危货运输有限公司,",
    ],
}
DRIVERS = (
    "姓名,身份证明号码,准驾车型,所属区县,所属企业,联系电话\n"
    f"{DRIVER},{DRIVER_ID},A1,颍上县,颍上客运有限公司,{PHONE}\n"
    f"王五,{OTHER_DRIVER_ID},B2,颍州区,阜阳危货运输有限公司,13900001111\n"
)


def seed(conn: duckdb.DuckDBPyConnection, city: City) -> None:
    """Vehicles 逾期未检验 on 2022-01-31 and 2022-02-28, drivers 逾期未审验 on 2022-03-31.

    On 2022-09-15 since 2022-01-01: 逾期未检验 存量 0, 新增 4, 已清零 2, 余量 2 (K22222 open
    since 01-31: 227 days; K44444), 清零率 50.0%; 逾期未审验 新增 2, 余量 2 (168 days).
    颍上县: 新增 3, 已清零 2, 余量 1; 颍州区: 新增 3, 已清零 0, 余量 3.
    阜阳危货运输有限公司: 3 open cases (K22222, K44444, 王五); 颍上客运有限公司: 1 (李四华)."""
    for on, rows in VEHICLES.items():
        data = (HEAD + "\n".join(rows) + "\n").encode("utf-8")
        ingest.import_snapshot(
            conn,
            city,
            ADMIN,
            f"逾期未检验_{on}.csv",
            data,
            now=NOW,
            indicator="V_INSPECTION",
            as_of=on,
        )
    ingest.import_snapshot(
        conn,
        city,
        ADMIN,
        "逾期未审验.csv",
        DRIVERS.encode("utf-8"),
        now=NOW,
        indicator="D_REVIEW",
        as_of=date(2022, 3, 31),
    )
