"""Issue 64 item 6: the HTTP cache and the pull-request lookups kept in it are derived data. A damaged row
(headers that are not JSON, a body that does not decompress or is not the JSON kept there) is ignored and
asked again, like any derived data: it never stops a day."""

from __future__ import annotations

import datetime as dt
import sqlite3
import zlib
from pathlib import Path

from dailydiff.common.timewindow import day_window
from dailydiff.store import Store
from dailydiff.store.sqlite import DB_NAME
from fake_github import FakeGitHub
from test_github_source import TZ, _key, fake, repo_path, source  # noqa: F401  (fixtures)

DAY = dt.date(2026, 1, 8)  # commits with pull requests: squashed, associated, none


def test_damaged_cache_and_pull_request_rows_are_asked_again_and_the_day_is_the_same(
    fake: FakeGitHub,  # noqa: F811  (the fixture)
    tmp_path: Path,
) -> None:
    token = "ghp_any_token_0123456789"
    with Store.open(tmp_path) as store:
        first = source(fake, tmp_path, store, token=token).commits(day_window(DAY, TZ))
        assert any(c.pr is not None for c in first)
    db = sqlite3.connect(tmp_path / DB_NAME)
    keys = [key for (key,) in db.execute("SELECT key FROM http_cache ORDER BY key")]
    lookups = [k for k in keys if k.startswith("GRAPHQL associatedPullRequests")]
    assert lookups and len(keys) > len(lookups), keys  # both kinds of row are there to damage
    for n, key in enumerate(keys):  # three kinds of damage, in turn
        damage = [("headers", "{"), ("body", b"\x00not zlib"), ("body", zlib.compress(b'{"cut": '))][n % 3]
        db.execute(f"UPDATE http_cache SET {damage[0]} = ? WHERE key = ?", (damage[1], key))
    db.commit()
    db.close()
    asked = len(fake.requests)
    with Store.open(tmp_path) as store:
        again = source(fake, tmp_path, store, token=token).commits(day_window(DAY, TZ))
    assert [_key(c) for c in again] == [_key(c) for c in first]
    assert [c.pr for c in again] == [c.pr for c in first]
    assert len(fake.requests) > asked  # the damaged rows were asked again
