"""One spelling per setting (issue 64): the outbound policy's settings are spelt alike in [github], [gitlab],
[llm] and a [[publish]] entry (``timeout``, ``retries``, ``backoff``, ``max_retry_after``); the older
spellings, in a config file or a ``DAILYDIFF_*`` variable, still set the same value, each said once in one
line as deprecated."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dailydiff.settings import RESPELT, defaults_text, load_settings, unknown_environment
from dailydiff.settings.publishers import EntryBase

SPELLINGS = ("timeout", "retries", "backoff", "max_retry_after")


def test_every_outbound_section_spells_the_policy_as_a_publish_entry_does() -> None:
    defaults = tomllib.loads(defaults_text())
    assert set(SPELLINGS) <= set(EntryBase.model_fields)
    for section in ("github", "gitlab", "llm"):
        assert set(SPELLINGS) <= defaults[section].keys(), section
        assert not RESPELT[section].keys() & defaults[section].keys(), section  # no old spelling left


def test_old_spellings_in_a_config_file_still_set_the_policy_with_one_warning_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "dailydiff.toml"
    config.write_text(
        "[github]\nmax_retries = 7\nretry_base_delay = 0.25\nrequest_deadline = 33\nmax_rate_limit_wait = 44\n"
        "[gitlab]\nmax_retries = 6\n"
        "[llm]\nmax_retries = 2\nretry_backoff = 0.125\nrequest_deadline = 55\n"
    )
    settings = load_settings(config, environ={}, cwd=tmp_path)
    old = load_settings(config, environ={}, cwd=tmp_path)  # a second reading says nothing more
    assert old == settings
    github = settings.github.policy()
    assert (github.retries, github.backoff, github.timeout, github.max_retry_after) == (7, 0.25, 33, 44)
    assert settings.gitlab.retries == 6
    llm = settings.llm.policy()
    assert (llm.retries, llm.backoff, llm.timeout) == (2, 0.125, 55)
    said = capsys.readouterr().err.splitlines()
    assert said == [
        f"dailydiff: warning: [{section}] {old} (in {config}) is deprecated: spell it {new}"
        for section, old, new in [
            ("github", "request_deadline", "timeout"), ("github", "max_retries", "retries"),
            ("github", "retry_base_delay", "backoff"), ("github", "max_rate_limit_wait", "max_retry_after"),
            ("gitlab", "max_retries", "retries"), ("llm", "request_deadline", "timeout"),
            ("llm", "max_retries", "retries"), ("llm", "retry_backoff", "backoff"),
        ]
    ]  # fmt: skip


def test_the_new_spelling_wins_where_both_are_given(tmp_path: Path) -> None:
    config = tmp_path / "dailydiff.toml"
    config.write_text("[github]\nmax_retries = 7\nretries = 2\n")
    assert load_settings(config, environ={}, cwd=tmp_path).github.retries == 2


def test_an_old_variable_still_sets_the_value_and_is_not_called_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    environ = {"DAILYDIFF_LLM_REQUEST_DEADLINE": "12.5", "DAILYDIFF_GITHUB_MAX_RETRIES": "3"}
    settings = load_settings(environ=environ, cwd=tmp_path)
    assert (settings.llm.timeout, settings.github.retries) == (12.5, 3)
    assert unknown_environment(settings, environ) is None
    err = capsys.readouterr().err
    assert "DAILYDIFF_LLM_REQUEST_DEADLINE is deprecated: spell it DAILYDIFF_LLM_TIMEOUT" in err
    assert "DAILYDIFF_GITHUB_MAX_RETRIES is deprecated: spell it DAILYDIFF_GITHUB_RETRIES" in err
    assert len(err.splitlines()) == 2
