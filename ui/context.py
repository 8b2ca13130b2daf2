"""What a page works with: the settings, the city, the store (one per process) and this script
run's view of it, the signed-in user, the demo's clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import streamlit as st

from analytics import startup
from analytics.accounts import auth
from analytics.city import City, CityConfigError
from analytics.config import SettingError, Settings
from analytics.ledger import metrics
from analytics.store import backup, db
from analytics.store.store import Store, StoreView
from ui.text import plain


@st.cache_resource(show_spinner="正在打开数据库……")
def _store(settings: Settings) -> tuple[Store, City]:
    """One store per process (DuckDB connections are not thread-safe: each run has a cursor),
    opened by analytics.startup's thread (app.py shows its progress on a first start)."""
    conn, city = startup.begin(settings).result()
    return Store(conn), city


@dataclass(frozen=True)
class Context:
    settings: Settings
    city: City
    store: StoreView  # this run's cursor and data revision; store.cached(fn, ...) for results
    cur: duckdb.DuckDBPyConnection  # the run's cursor (store.cur), for writes and live reads
    is_demo: bool
    data_span: tuple[date | None, date | None]
    user: auth.User | None  # the signed-in user (None on the sign-in page)
    clock_date: date | None  # a demo database pins "today" to its last day

    def now(self) -> datetime:
        """The time actions are recorded at: local time, on the demo's day for demo data."""
        now = self.settings.now()
        return datetime.combine(self.clock_date, now.time()) if self.clock_date else now

    def today(self) -> date:
        return self.now().date()


def load() -> Context:
    """Settings, city and the store's view for this script run, before any session check (see
    ui.gate); stops the page with a Chinese message when the store cannot be opened."""
    try:
        settings = Settings.from_env()
        store, city = _store(settings)
        view = store.view()  # on the shared store: catches up (PostgreSQL may be unreachable)
    except (db.StoreError, CityConfigError, SettingError, backup.BackupError) as e:
        st.error(plain(e))
        st.stop()
    facts = db.dataset_facts(view.cur)
    span = view.cached(metrics.data_span)
    user = st.session_state.get("user")
    clock = db.clock_date(facts)
    return Context(settings, city, view, view.cur, facts.get("is_demo") == "1", span, user, clock)
