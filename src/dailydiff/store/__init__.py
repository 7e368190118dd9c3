"""The store: SQLite by default, PostgreSQL for teams (``[store] url``); one interface, one migration history."""

from dailydiff.common.storeurl import redact_url
from dailydiff.store.interface import (
    CachedResponse,
    Claim,
    Delivery,
    EndpointFacts,
    FailingTarget,
    Store,
    StoredReport,
    UnitState,
    open_store,
    store_location,
)
from dailydiff.store.sqlite import DB_NAME

__all__ = [
    "DB_NAME",
    "CachedResponse",
    "Claim",
    "Delivery",
    "EndpointFacts",
    "FailingTarget",
    "Store",
    "StoredReport",
    "UnitState",
    "open_store",
    "redact_url",
    "store_location",
]
