"""Validated settings kept between runs (settings/kept.py): the same layers read the last run's settings back;
other data, an error, a damaged file or a directory that is not private are validated as without them."""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path

import pytest

from dailydiff.errors import ConfigError
from dailydiff.settings import ReadSettings, Settings, kept, load_model, load_read_settings, load_settings


@pytest.fixture
def kept_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory of this test's own, where the kept settings go."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    (tmp_path / "cwd").mkdir()
    return tmp_path / "tmp"


def kept_file(kept_dir: Path, model: type[object] = Settings) -> Path:
    """The file ``model`` was last kept in."""
    kept = next(kept_dir.glob("_dailydiff-*")).glob(f"settings-{model.__name__}-*.pickle")
    return max(kept, key=lambda path: path.stat().st_mtime_ns)


def tamper(path: Path, **update: object) -> None:
    """Rewrite the kept settings with ``update`` under the same digest: what a load then returns shows
    whether it read the file."""
    key, _, blob = path.read_bytes().partition(b"\n")
    path.write_bytes(key + b"\n" + pickle.dumps(pickle.loads(blob).model_copy(update=update)))


def test_the_same_layers_read_the_kept_settings(kept_dir: Path) -> None:
    cwd = kept_dir.parent / "cwd"
    first = load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": "UTC"}, cwd=cwd)
    path = kept_file(kept_dir)
    assert path.is_file() and path.parent.stat().st_mode & 0o777 == 0o700
    assert load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": "UTC"}, cwd=cwd) == first
    tamper(path, data_dir="/kept")
    assert load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": "UTC"}, cwd=cwd).data_dir == "/kept"
    # Other data (an environment variable, a flag, the file) is validated: nothing stale.
    other = load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": "Europe/Paris"}, cwd=cwd)
    assert (other.report.timezone, other.data_dir) == ("Europe/Paris", first.data_dir)
    flagged = load_settings(environ={}, cwd=cwd, overrides={"report": {"timezone": "Asia/Tokyo"}})
    assert flagged.report.timezone == "Asia/Tokyo"
    (cwd / "dailydiff.toml").write_text('[report]\ntimezone = "America/Chicago"\n')
    assert load_settings(environ={}, cwd=cwd).report.timezone == "America/Chicago"
    # A model is kept apart from another's.
    read = load_model(ReadSettings, environ={}, cwd=cwd)
    assert load_model(ReadSettings, environ={}, cwd=cwd) == read
    assert kept_file(kept_dir, ReadSettings).is_file()


def test_errors_are_worded_as_before_after_settings_were_kept(kept_dir: Path) -> None:
    cwd = kept_dir.parent / "cwd"
    load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": "UTC"}, cwd=cwd)
    for _ in range(2):  # an error is never kept
        with pytest.raises(ConfigError) as caught:
            load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": "Mars/Base"}, cwd=cwd)
        assert "DAILYDIFF_REPORT_TIMEZONE" in str(caught.value) and "unknown timezone" in str(caught.value)


def test_a_damaged_file_or_a_shared_directory_is_not_read(kept_dir: Path) -> None:
    cwd = kept_dir.parent / "cwd"
    fresh = load_settings(environ={}, cwd=cwd)
    path = kept_file(kept_dir)
    key = path.read_bytes().partition(b"\n")[0]
    for damaged in (key + b"\nnot a pickle", key + b"\n" + pickle.dumps({"report": "x"}), b""):
        path.write_bytes(damaged)
        assert load_settings(environ={}, cwd=cwd) == fresh
    tamper(path, data_dir="/kept")
    path.parent.chmod(0o755)  # readable by others: not ours alone, so neither read nor written
    assert load_settings(environ={}, cwd=cwd).data_dir == fresh.data_dir


def test_settings_holding_a_password_are_not_kept(kept_dir: Path) -> None:
    cwd = kept_dir.parent / "cwd"
    (cwd / "dailydiff.toml").write_text(
        '[[repos]]\nsource = "https://x-token:ghp_0123456789abcdefghij@github.com/o/r"\n'
    )
    assert load_settings(environ={}, cwd=cwd).repos
    assert not list(kept_dir.glob("_dailydiff-*/settings-*"))
    (cwd / "dailydiff.toml").write_text('[[repos]]\nsource = "https://github.com/o/r"\n')
    assert load_settings(environ={}, cwd=cwd).repos and kept_file(kept_dir).is_file()


def test_a_store_urls_password_is_left_out_of_the_kept_settings_and_put_back(kept_dir: Path) -> None:
    # A PostgreSQL store's settings are kept (validating them costs a search on PostgreSQL ~0.04 s) without
    # the URL's password: the file holds the URL with none, and the URL as written is put back when read.
    cwd = kept_dir.parent / "cwd"
    url = "postgresql://dd:s3cret-pw@127.0.0.1:5432/dd"
    first = load_model(ReadSettings, environ={"DAILYDIFF_STORE_URL": url}, cwd=cwd)
    path = kept_file(kept_dir, ReadSettings)
    assert first.store.url == url and b"s3cret-pw" not in path.read_bytes()
    tamper(path, data_dir="/kept")
    again = load_model(ReadSettings, environ={"DAILYDIFF_STORE_URL": url}, cwd=cwd)
    assert (again.data_dir, again.store.url) == ("/kept", url)  # read back, with its password
    # Another password: the same kept settings, with that password.
    other = load_model(ReadSettings, environ={"DAILYDIFF_STORE_URL": url.replace("s3cret", "n3w")}, cwd=cwd)
    assert (other.data_dir, other.store.url) == ("/kept", url.replace("s3cret", "n3w"))
    # A password libpq would read otherwise ("/" in it) is refused in validation's words, kept settings or not.
    for _ in range(2):
        with pytest.raises(ConfigError) as caught:
            load_model(
                ReadSettings, environ={"DAILYDIFF_STORE_URL": url.replace("s3cret", "s3/cret")}, cwd=cwd
            )
        assert "DAILYDIFF_STORE_URL" in str(caught.value) and "s3/cret" not in str(caught.value)
    # A keyword DSN's password is never kept.
    load_model(
        ReadSettings, environ={"DAILYDIFF_STORE_URL": "host=127.0.0.1 dbname=dd password=kw-s3cret"}, cwd=cwd
    )
    assert not any(b"kw-s3cret" in f.read_bytes() for f in path.parent.glob("settings-*"))
    assert len(list(path.parent.glob("settings-ReadSettings-*"))) == 1


def test_configurations_used_in_turn_each_read_their_own(
    kept_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two data directories (or `run` beside `notes`, or another checkout's runs) used in turn: each finds the
    # settings it kept, not only the last run's; the oldest beyond KEPT go.
    cwd = kept_dir.parent / "cwd"
    zones = {"a": "UTC", "b": "Europe/Paris"}
    load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": zones["a"]}, cwd=cwd)
    first = kept_file(kept_dir)
    load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": zones["b"]}, cwd=cwd)
    assert kept_file(kept_dir) != first
    tamper(first, data_dir="/kept-a")
    assert load_settings(environ={"DAILYDIFF_REPORT_TIMEZONE": zones["a"]}, cwd=cwd).data_dir == "/kept-a"
    monkeypatch.setattr(kept, "KEPT", 3)
    for day in range(1, 6):
        load_settings(
            environ={"DAILYDIFF_REPORT_TIMEZONE": "UTC", "DAILYDIFF_RUN_MAX_DAYS": str(day)}, cwd=cwd
        )
    assert len(list(first.parent.glob("settings-Settings-*.pickle"))) == 3
    assert not first.exists()  # the oldest went first


def test_a_model_moved_or_code_changed_is_never_read_from_an_older_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kept key names the model's module: Settings moved out of settings/__init__.py (now settings/whole.py,
    # still imported as `from dailydiff.settings import Settings`) is another key than the copies kept before.
    data = {"data_dir": "/x"}
    assert (Settings.__module__, ReadSettings.__module__) == (
        "dailydiff.settings.whole",
        "dailydiff.settings.sections",
    )
    before_move = type("Settings", (), {"__module__": "dailydiff.settings", "__qualname__": "Settings"})
    assert kept.digest(Settings, data) != kept.digest(before_move, data)
    assert kept.digest(Settings, data) == kept.digest(Settings, dict(data))
    # And the package's code: a module added (or edited) is another key for every model.
    code = tmp_path / "dailydiff"
    (code / "settings").mkdir(parents=True)
    (code / "settings" / "__init__.py").write_text("x = 1\n")
    monkeypatch.setattr(kept, "_CODE", code)
    first = kept.digest(ReadSettings, data)
    (code / "settings" / "sections.py").write_text("y = 2\n")
    assert kept.digest(ReadSettings, data) != first


def test_read_settings_are_read_back_as_plain_values(kept_dir: Path) -> None:
    # `search`'s settings: validated once, then read back as plain values with the same attributes (no pydantic
    # to import); the store URL's password is put back as for the model.
    cwd = kept_dir.parent / "cwd"
    url = "postgresql://dd:s3cret-pw@127.0.0.1:5432/dd"
    env = {
        "DAILYDIFF_STORE_URL": url,
        "DAILYDIFF_SEARCH_EMBEDDING_MODEL": "m",
        "DAILYDIFF_LLM_API_KEY_ENV": "K",
    }
    validated = load_read_settings(environ=env, cwd=cwd, overrides={"data_dir": "/d"})
    assert isinstance(validated, ReadSettings)
    path = next(kept_dir.glob("_dailydiff-*/settings-ReadSettings.plain-*.pickle"))
    assert b"s3cret-pw" not in path.read_bytes()
    again = load_read_settings(environ=env, cwd=cwd, overrides={"data_dir": "/d"})
    assert isinstance(again, kept.Plain) and not isinstance(again, ReadSettings)
    assert again.store.url == url and again.data_path == validated.data_path == Path("/d")
    assert (again.search.embedding_model, again.llm.api_key_env) == ("m", "K")
    assert vars(again.store) == validated.store.model_dump()
    assert again.search.fuse_languages == validated.search.fuse_languages
    # An error is still found and worded by validation.
    with pytest.raises(ConfigError) as caught:
        load_read_settings(environ={**env, "DAILYDIFF_SEARCH_EMBEDDING_BATCH": "0"}, cwd=cwd)
    assert "DAILYDIFF_SEARCH_EMBEDDING_BATCH" in str(caught.value)
