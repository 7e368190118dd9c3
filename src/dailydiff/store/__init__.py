"""The store: SQLite by default."""

from .sqlite import DB_NAME, CachedResponse, Store, StoredReport

__all__ = ["DB_NAME", "CachedResponse", "Store", "StoredReport"]
