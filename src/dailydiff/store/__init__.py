"""The store: SQLite by default."""

from dailydiff.store.sqlite import DB_NAME, CachedResponse, Delivery, EndpointFacts, Store, StoredReport

__all__ = ["DB_NAME", "CachedResponse", "Delivery", "EndpointFacts", "Store", "StoredReport"]
