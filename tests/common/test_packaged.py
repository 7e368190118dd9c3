"""The package's own TOML tables are read by rtoml (common/packaged.py): each reads exactly as the
standard library's parser reads it, so a table written for one means the same to the other."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dailydiff.common import packaged

PACKAGE = Path(packaged.__file__).resolve().parents[1]
TABLES = sorted(str(path.relative_to(PACKAGE)) for path in PACKAGE.rglob("*.toml"))


def test_every_table_is_found() -> None:
    assert {"settings/defaults.toml", "analysis/claims.toml", "common/locale/zh.toml"} <= set(TABLES)


@pytest.mark.parametrize("name", TABLES)
def test_a_table_reads_as_tomllib_reads_it(name: str) -> None:
    assert packaged.toml(name) == tomllib.loads((PACKAGE / name).read_text("utf-8"))


def test_types_are_tomllib_s(tmp_path: Path) -> None:
    text = (
        'when = 1979-05-27T07:32:00Z\nday = 1979-05-27\nn = 1_000\nf = 0.5\nlist = [1, "a"]\n[t]\nx = true\n'
    )
    (tmp_path / "t.toml").write_text(text)
    packaged.toml.cache_clear()
    original = packaged._PACKAGE
    packaged._PACKAGE = str(tmp_path)
    try:
        assert packaged.toml("t.toml") == tomllib.loads(text)
    finally:
        packaged._PACKAGE = original
        packaged.toml.cache_clear()


def test_the_search_glossary_leaves_the_table_it_reads_as_read() -> None:
    """The glossary joins the reports' change-type labels to its groups: to copies, not to the parsed table every
    later reader of it shares."""
    from dailydiff.search.concepts import glossary

    glossary.cache_clear()
    glossary()
    assert packaged.toml("search/glossary.toml") == tomllib.loads(
        (PACKAGE / "search/glossary.toml").read_text("utf-8")
    )
