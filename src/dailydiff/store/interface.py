"""The store: commits, analyses (keyed by analyser fingerprint), reports, the HTTP cache, deliveries, one
row per run, and the units of shared plans.

One class, ``Store``, written once in portable SQL, over a ``Database``: a connection to SQLite
(``store/sqlite.py``, the default, no server) or PostgreSQL (``store/postgres.py``, for teams and many
machines). A backend translates placeholders, runs transactions and migrations, and turns its driver's
errors into ``StoreError``s; where the SQL of the two differs, the difference is a field of ``Dialect``.

``Store`` is made of one part per concern, each over the connection of ``store/base.py``: reports and
analyses (``store/reports.py``), the ledger and the claims of shared plans (``store/ledger.py``), the search
index and kept answers (``store/searching.py``), caches and endpoint facts (``store/caches.py``), runs,
check and copy (``store/upkeep.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dailydiff.common.private import warn_if_exposed
from dailydiff.store.caches import CacheStore
from dailydiff.store.database import OnSlow
from dailydiff.store.ledger import LedgerStore
from dailydiff.store.postgres import Limits
from dailydiff.store.reports import ReportStore
from dailydiff.store.sqlite import DB_NAME
from dailydiff.store.upkeep import UpkeepStore

if TYPE_CHECKING:
    from dailydiff.settings import HasStore


class Store(ReportStore, CacheStore, LedgerStore, UpkeepStore):
    """Everything dailydiff keeps. Open one with ``dailydiff.store.open_store(settings)`` (or ``Store.open``
    for a SQLite data directory, ``Store.connect`` for a path or URL)."""


def store_location(settings: HasStore) -> str | Path:
    """Where the settings keep the store: ``[store] url`` (env DAILYDIFF_STORE_URL), else the SQLite file of
    the data directory."""
    if settings.store.url:
        return settings.store.url
    warn_if_exposed(settings.data_path)
    return settings.data_path / DB_NAME


def open_store(settings: HasStore, on_slow: OnSlow | None = None) -> Store:
    store = settings.store
    limits = Limits(store.lock_timeout, store.statement_timeout, store.reconnect_seconds)
    return Store.connect(store_location(settings), limits, on_slow)
