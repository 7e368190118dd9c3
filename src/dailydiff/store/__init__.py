"""The store: SQLite by default, PostgreSQL for teams (``[store] url``); one interface, one migration history."""

from dailydiff.common.storeurl import redact_url
from dailydiff.store.base import FENCE, Claim
from dailydiff.store.caches import CachedResponse, EndpointFacts
from dailydiff.store.interface import Store, open_store, store_location
from dailydiff.store.ledger import Delivery, FailingTarget, UnitState
from dailydiff.store.reports import StoredReport
from dailydiff.store.sqlite import DB_NAME

__all__ = [
    "DB_NAME",
    "FENCE",
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
