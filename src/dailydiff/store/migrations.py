"""Ordered, named schema migrations, recorded in the ``migrations`` table. Append, never edit.
Plain, portable SQL: a shared PostgreSQL store is planned."""

from __future__ import annotations

MIGRATIONS: list[tuple[str, str]] = [
    (
        "m001_initial",
        """
        CREATE TABLE commits (
            repo TEXT NOT NULL,
            sha TEXT NOT NULL,
            committed_at TEXT NOT NULL,
            data BLOB NOT NULL,
            PRIMARY KEY (repo, sha)
        );
        CREATE INDEX commits_by_time ON commits (repo, committed_at);
        CREATE TABLE analyses (
            repo TEXT NOT NULL,
            sha TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            analyzer TEXT NOT NULL,
            status TEXT NOT NULL,
            data TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (repo, sha, fingerprint)
        );
        CREATE TABLE reports (
            repo TEXT NOT NULL,
            date TEXT NOT NULL,
            language TEXT NOT NULL,
            timezone TEXT NOT NULL,
            failed INTEGER NOT NULL,
            total INTEGER NOT NULL,
            data TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (repo, date, language)
        );
        CREATE TABLE http_cache (
            key TEXT PRIMARY KEY,
            etag TEXT,
            last_modified TEXT,
            status INTEGER NOT NULL,
            headers TEXT NOT NULL,
            body BLOB NOT NULL,
            immutable INTEGER NOT NULL DEFAULT 0,
            stored_at TEXT NOT NULL
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            summary TEXT
        );
        """,
    ),
    (
        "m002_deliveries",
        """
        CREATE TABLE deliveries (
            repo TEXT NOT NULL,
            date TEXT NOT NULL,
            language TEXT NOT NULL,
            publisher TEXT NOT NULL,
            status TEXT NOT NULL,
            detail TEXT NOT NULL,
            delivered_at TEXT NOT NULL,
            PRIMARY KEY (repo, date, language, publisher)
        );
        """,
    ),
    (
        # One row per delivery of a report (repo, date, language) to a target (where it goes, e.g.
        # "slack:$SLACK_URL" or "files:/srv/reports/{year}/..."). A command claims the row (state
        # 'sending', claim_owner, claimed_at) before it sends, then marks it 'delivered' (with the hash
        # of what it sent) or 'failed'. `version` grows on every change: claims are conditional
        # UPDATEs on it, so two processes never both win one. The old `deliveries` table named
        # publishers, not targets: its rows are kept as target 'name:<publisher>' (engine/deliver.py
        # reads them so that a message sent before the upgrade is not sent again).
        "m003_delivery_ledger",
        """
        CREATE TABLE delivery_ledger (
            repo TEXT NOT NULL,
            date TEXT NOT NULL,
            language TEXT NOT NULL,
            target TEXT NOT NULL,
            publisher TEXT NOT NULL,
            state TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            claim_owner TEXT NOT NULL,
            claimed_at TEXT NOT NULL,
            detail TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            version INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (repo, date, language, target)
        );
        INSERT INTO delivery_ledger (repo, date, language, target, publisher, state, content_hash,
            claim_owner, claimed_at, detail, attempts, version, updated_at)
        SELECT repo, date, language, 'name:' || publisher, publisher,
            CASE WHEN status = 'failed' THEN 'failed' ELSE 'delivered' END,
            '', '', delivered_at, detail, 1, 1, delivered_at
        FROM deliveries;
        DROP TABLE deliveries;
        """,
    ),
    (
        # What an LLM endpoint was found to accept (the response mode) and its context size, per model.
        "m004_llm_endpoints",
        """
        CREATE TABLE llm_endpoints (
            endpoint TEXT NOT NULL,
            model TEXT NOT NULL,
            response_mode TEXT,
            context_window INTEGER,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (endpoint, model)
        );
        """,
    ),
]
