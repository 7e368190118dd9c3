"""common/packaged.py: the package's TOML data parsed once and kept between runs; a kept copy is read only
for the same file (path, modification time, size) and Python, never from a directory that is not ours."""

from __future__ import annotations

import marshal
import os
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from dailydiff.common import packaged

SRC = Path(packaged.__file__).resolve().parents[1]


@pytest.fixture
def kept_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary directory of this test's own for the kept copies, and a package of two data files."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    package = tmp_path / "package"
    (package / "data").mkdir(parents=True)
    (package / "data" / "words.toml").write_text('[greeting]\nen = "hello"\nzh = "你好"\nsizes = [1, 2.5]\n')
    monkeypatch.setattr(packaged, "_PACKAGE", str(package))
    packaged.toml.cache_clear()
    yield tmp_path / "tmp"
    packaged.toml.cache_clear()


def _kept(kept_dir: Path) -> Path:
    return next(kept_dir.glob("_dailydiff-*/toml-*-words.toml.marshal"))


def _rewrite(path: Path, data: dict[str, object]) -> None:
    """The kept copy with other data under the same key: what a read then returns shows it read the copy."""
    key = path.read_bytes().partition(b"\n")[0] + b"\n"
    path.write_bytes(key + marshal.dumps(data))


def test_the_packaged_files_parse_as_tomllib_parses_them() -> None:
    packaged.toml.cache_clear()
    for name in ("settings/defaults.toml", "common/locale/zh.toml", "search/glossary.toml"):
        assert packaged.toml(name) == tomllib.loads((SRC / name).read_text(encoding="utf-8"))


def test_a_kept_copy_is_read_for_the_same_file_only(kept_dir: Path) -> None:
    first = packaged.toml("data/words.toml")
    assert first == {"greeting": {"en": "hello", "zh": "你好", "sizes": [1, 2.5]}}
    path = _kept(kept_dir)
    assert path.parent.stat().st_mode & 0o777 == 0o700
    _rewrite(path, {"kept": True})
    packaged.toml.cache_clear()
    assert packaged.toml("data/words.toml") == {"kept": True}  # the next run reads the copy back
    # The file changes (its size and time): parsed again, and the copy replaced.
    source = Path(packaged._PACKAGE) / "data" / "words.toml"
    source.write_text('[greeting]\nen = "good morning"\n')
    os.utime(source, ns=(1, 1))
    packaged.toml.cache_clear()
    assert packaged.toml("data/words.toml") == {"greeting": {"en": "good morning"}}
    assert list(path.parent.glob("toml-*")) == [path]
    packaged.toml.cache_clear()
    assert packaged.toml("data/words.toml") == {"greeting": {"en": "good morning"}}


def test_a_damaged_copy_or_a_shared_directory_is_not_read(kept_dir: Path) -> None:
    packaged.toml("data/words.toml")
    path = _kept(kept_dir)
    path.write_bytes(path.read_bytes()[:-3])  # cut short
    packaged.toml.cache_clear()
    assert packaged.toml("data/words.toml")["greeting"]["en"] == "hello"
    _rewrite(path, {"kept": True})
    path.parent.chmod(0o777)  # anyone could have written it
    packaged.toml.cache_clear()
    assert packaged.toml("data/words.toml")["greeting"]["en"] == "hello"
