"""Secrets in the configuration stay secret (issue 24, acceptance 1 and 4), against the real PostgreSQL
server the tests start (tests/pgserver.py) and real processes:

- a libpq keyword DSN is accepted; a keyword DSN with a bad host, a URL with an unencoded ``@`` in its
  password, a webhook URL written into ``url_env`` and a token written into ``token_env`` are one-line
  user errors naming the part or the key;
- in each case neither the secret nor any 4-character piece of it is in stderr (with the DEBUG log),
  the summary JSON, the delivery ledger, the run rows (every row of every table of the store), the
  output files or what a webhook received;
- a short, word-like store password (``postgres``) is masked where it stands as a secret and nowhere else:
  "pip install 'dailydiff[postgres]'" comes out intact, and `doctor` calls the password weak;
- a misspelt ``DAILYDIFF_*`` variable is named in one warning line with the variable meant.

Canary secrets have a ``~`` (or ``@``) in every 4 characters, so no piece of one can occur in ordinary
text, a date, hex or base64 (the SVG charts inlined in a standalone page): a piece found is a leak.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import string
import subprocess
import sys
import tempfile
import uuid
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import dailydiff
from pgserver import PostgresServer
from webhook_receiver import WebhookReceiver

SRC = Path(__file__).resolve().parents[2] / "src"
DATE = "2026-01-19"


def canary(at: bool = False) -> str:
    """12 random letters with a ``~`` after every second one (an ``@`` in the middle when ``at``)."""
    letters = [secrets.choice(string.ascii_letters) for _ in range(12)]
    text = "~".join("".join(letters[i : i + 2]) for i in range(0, 12, 2))
    return text[:8] + "@" + text[9:] if at else text


def pieces(secret: str) -> set[str]:
    return {secret[i : i + 4] for i in range(len(secret) - 3)}


def leaked(secret: str, text: str) -> list[str]:
    return sorted(p for p in pieces(secret) if p in text)


def cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`dailydiff ARGS` with only ``env`` beside the environment's harmless part. In-process
    (tests/clirun.py), with everything a process would show on its stdout and stderr: what the command
    prints, its log (the DEBUG log included), other libraries' log records and warnings (which a process
    writes to stderr: pytest's capture is lifted for the run), and whatever C code or a child process
    writes to file descriptors 1 and 2. With ``PYTHONPATH_FIRST`` (modules put in front: another
    interpreter's imports) a real ``python -m dailydiff``."""
    base = {k: v for k, v in os.environ.items() if "TOKEN" not in k and not k.startswith("DAILYDIFF_")}
    first = env.pop("PYTHONPATH_FIRST", "")
    if first:
        path = os.pathsep.join([first, str(SRC)])
        return subprocess.run([sys.executable, "-m", "dailydiff", *args], env={**base, "PYTHONPATH": path, **env},
                              cwd=cwd, capture_output=True, text=True, timeout=180)  # fmt: skip
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = lambda message, category, filename, lineno, file=None, line=None: (
            sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
        )
        saved_fds = [os.dup(1), os.dup(2)]
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
        root.handlers[:] = []  # records of other loggers reach logging's last resort: stderr, as in a process
        root.setLevel(logging.WARNING)
        try:
            result = dailydiff(*args, cwd=cwd, env={**base, **env})
        finally:
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
            for fd, saved in zip((1, 2), saved_fds, strict=True):
                os.dup2(saved, fd)
                os.close(saved)
        out.seek(0)
        err.seek(0)
        fd_out, fd_err = (f.read().decode("utf-8", "replace") for f in (out, err))
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout + fd_out, result.stderr + fd_err
    )


def pg_role(server: PostgresServer, password: str) -> tuple[str, str]:
    """A login role with ``password`` and a database it owns: (user, dbname)."""
    import psycopg
    from psycopg import sql

    name = "c_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server.url(), autocommit=True) as db:
        db.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password))
        )
        db.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(name)))
    return name, name


def _cell(value: object) -> str:
    if isinstance(value, bytes | memoryview):
        raw = bytes(value)
        try:
            return zlib.decompress(raw).decode("utf-8", "replace")
        except zlib.error:
            return raw.decode("utf-8", "replace")
    return str(value)


def pg_text(server: PostgresServer, dbname: str) -> tuple[str, dict[str, int]]:
    """Every row of every table (compressed columns decompressed), and the row count of each table."""
    import psycopg

    chunks, counts = [], {}
    with psycopg.connect(server.url(dbname), autocommit=True) as db:
        tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            rows = db.execute(f"SELECT * FROM {table}".encode()).fetchall()
            counts[table] = len(rows)
            chunks += [" ".join(_cell(v) for v in row) for row in rows]
    return "\n".join(chunks), counts


def sqlite_text(data_dir: Path) -> str:
    chunks = [p.read_bytes().decode("utf-8", "replace") for p in data_dir.rglob("*") if p.is_file()]
    db_file = data_dir / "dailydiff.sqlite3"
    if db_file.exists():
        db = sqlite3.connect(db_file)
        try:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            for table in tables:
                chunks += [" ".join(_cell(v) for v in row) for row in db.execute(f"SELECT * FROM {table}")]
        finally:
            db.close()
    return "\n".join(chunks)


def files_text(root: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in root.rglob("*") if p.is_file())


@pytest.fixture
def hooks() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver().start()
    yield receiver
    receiver.stop()


def config(tmp: Path, sample_repo: Path, extra: str = "") -> Path:
    tmp.mkdir(exist_ok=True)
    path = tmp / "dailydiff.toml"
    path.write_text(f"""
[report]
timezone = "Asia/Shanghai"
formats = ["md", "json", "html"]

[[repos]]
source = "{sample_repo}"
name = "acme/demo"

[[publish]]
type = "files"
name = "archive"
directory = "{tmp / "published"}"
formats = ["md", "json", "html"]

[[publish]]
type = "webhook"
url_env = "HOOK_URL"
retries = 0
{extra}""")  # fmt: skip
    return path


def run_day(tmp: Path, sample_repo: Path, hooks: WebhookReceiver, env: dict[str, str], extra: str = ""
            ) -> tuple[subprocess.CompletedProcess[str], str]:  # fmt: skip
    """`run --verbose --summary-json` over the day; returns the result and every output as text."""
    cfg = config(tmp, sample_repo, extra)
    result = cli(["run", "--date", DATE, "--config", str(cfg), "--data-dir", str(tmp / "data"), "--verbose",
                  "--output-dir", str(tmp / "out"), "--summary-json", str(tmp / "summary.json")],
                 {"HOOK_URL": hooks.urls()["webhook"], **env}, tmp)  # fmt: skip
    received = "\n".join(r.decode("utf-8", "replace") for rs in hooks.raw.values() for r in rs)
    return result, "\n".join([result.stderr, result.stdout, files_text(tmp), received])


@pytest.mark.slow
def test_a_keyword_dsn_is_accepted_and_its_password_goes_nowhere(
    tmp_path: Path, sample_repo: Path, hooks: WebhookReceiver, pg_server: PostgresServer
) -> None:
    password = canary()
    user, dbname = pg_role(pg_server, password)
    dsn = f"host=127.0.0.1 port={pg_server.port} user={user} password='{password}' dbname={dbname}"
    result, outputs = run_day(tmp_path, sample_repo, hooks, {"DAILYDIFF_STORE_URL": dsn})
    assert result.returncode == 0, result.stderr
    store, counts = pg_text(pg_server, dbname)
    # The day really went through the PostgreSQL store: a run row, the report, three deliveries (--output-dir, archive, webhook) in the ledger.
    assert counts["runs"] == 1 and counts["reports"] == 1 and counts["delivery_ledger"] == 3, counts
    assert json.loads((tmp_path / "summary.json").read_text())["repos"][0]["days"][0]["publish"]
    assert "debug" in result.stderr.lower()  # the DEBUG log is in what was searched
    assert leaked(password, outputs) == [] and leaked(password, store) == []
    doctor = cli(["doctor", "--config", str(tmp_path / "dailydiff.toml"), "--data-dir", str(tmp_path / "data")],
                 {"DAILYDIFF_STORE_URL": dsn, "HOOK_URL": hooks.urls()["webhook"]}, tmp_path)  # fmt: skip
    assert f"host=127.0.0.1 port={pg_server.port}" in doctor.stdout or "opens (PostgreSQL)" in doctor.stdout
    assert "✓ store:" in doctor.stdout and "password=***" in doctor.stdout, doctor.stdout
    assert leaked(password, doctor.stdout + doctor.stderr) == []


@pytest.mark.slow
def test_a_keyword_dsn_with_a_bad_host_is_one_line_without_the_password(
    tmp_path: Path, sample_repo: Path, hooks: WebhookReceiver
) -> None:
    password = canary()
    dsn = f"host=no-such-host.invalid port=5432 user=app password={password} dbname=p5 connect_timeout=5"
    result, outputs = run_day(tmp_path, sample_repo, hooks, {"DAILYDIFF_STORE_URL": dsn})
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode == 4, result.stderr  # StoreError, from the error tree
    assert len(errors) == 1 and "no-such-host.invalid" in errors[0] and "password=***" in errors[0], errors
    assert "Traceback" not in result.stderr
    assert leaked(password, outputs) == [] and leaked(password, sqlite_text(tmp_path / "data")) == []


@pytest.mark.slow
@pytest.mark.parametrize(
    ("url", "part", "code"),
    [
        ("postgresql://app:{secret}@127.0.0.1:5432/p5", "holds an '@': percent-encode it as %40", 2),
        ("postgresql://app:{secret}@[::1:5432/p5", "not a valid IPv6 address", 2),
        ("postgresql://app:{secret}@::1:5432/p5", "not a valid IPv6 address", 2),
        ("host=127.0.0.1 password={secret} x dbname=p5", "the value of password in the store DSN", 2),
    ],
    ids=["at-in-password", "ipv6-unclosed", "ipv6-unbracketed", "unquoted-space"],
)
def test_a_malformed_store_url_names_the_part_never_the_password(
    tmp_path: Path, sample_repo: Path, hooks: WebhookReceiver, url: str, part: str, code: int
) -> None:
    password = canary(at="@" in part)
    result, outputs = run_day(
        tmp_path, sample_repo, hooks, {"DAILYDIFF_STORE_URL": url.format(secret=password)}
    )
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode == code, result.stderr  # a ConfigError: never 70 ("internal error")
    assert len(errors) == 1 and part in errors[0] and "DAILYDIFF_STORE_URL" in errors[0], errors
    assert leaked(password, outputs) == [] and not (tmp_path / "data").exists()
    copy = cli(
        ["store", "copy", "env:STORE", str(tmp_path / "copy")],
        {"STORE": url.format(secret=password)},
        tmp_path,
    )
    assert (
        copy.returncode == 2
        and part in copy.stderr
        and "STORE" in copy.stderr
        and leaked(password, copy.stderr) == []
    ), copy.stderr


@pytest.mark.slow
@pytest.mark.parametrize("key", ["url_env", "token_env"])
def test_a_secret_written_into_an_env_key_is_refused_by_its_key(
    tmp_path: Path, sample_repo: Path, hooks: WebhookReceiver, key: str
) -> None:
    if key == "url_env":
        secret = canary()
        value = f"https://hooks.slack.com/services/T0/B0/{secret}"
        extra = f'\n[[publish]]\ntype = "slack"\nurl_env = "{value}"\n'
        where = "publish[3].slack.url_env"
    else:
        secret = "ghp_" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(36))
        extra = f'\n[github]\ntoken_env = "{secret}"\n'
        where = "github.token_env"
    result, _ = run_day(tmp_path, sample_repo, hooks, {}, extra)
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert result.returncode == 2 and len(errors) == 1, result.stderr
    assert f"invalid setting {where!r}" in errors[0] and "name of an environment variable" in errors[0]
    files = files_text(tmp_path).replace((tmp_path / "dailydiff.toml").read_text(), "")  # the file holds it
    assert leaked(secret, result.stderr + result.stdout + files) == [] and not (tmp_path / "data").exists()
    assert "hooks.slack.com" not in result.stderr and hooks.raw == {}
    doctor = cli(
        ["doctor", "--config", str(tmp_path / "dailydiff.toml")],
        {"HOOK_URL": "http://127.0.0.1:9/"},
        tmp_path,
    )
    first = doctor.stdout.splitlines()[0]
    assert first.startswith("✗ config:") and where in first, doctor.stdout  # doctor's first line
    assert leaked(secret, doctor.stdout + doctor.stderr) == []


@pytest.mark.slow
def test_a_weak_store_password_is_masked_as_a_secret_and_nowhere_else(
    tmp_path: Path, sample_repo: Path, hooks: WebhookReceiver, pg_server: PostgresServer
) -> None:
    user, dbname = pg_role(pg_server, "postgres")
    url = f"postgresql://{user}:postgres@127.0.0.1:{pg_server.port}/{dbname}"

    def stray(text: str) -> list[str]:
        """Occurrences of the password that are not the words it shares (postgresql, [postgres])."""
        rest = text.replace("dailydiff[postgres]", "").lower().replace("postgresql", "")
        return [rest[max(i - 30, 0) : i + 40] for i in range(len(rest)) if rest.startswith("postgres", i)]

    # Without the driver the message names the extra to install, intact.
    fake = tmp_path / "nodriver" / "psycopg"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named psycopg')\n")
    missing, outputs = run_day(tmp_path / "a", sample_repo, hooks, {"DAILYDIFF_STORE_URL": url,
                               "PYTHONPATH_FIRST": str(fake.parent)})  # fmt: skip
    assert missing.returncode == 4 and "pip install 'dailydiff[postgres]'" in missing.stderr, missing.stderr
    assert stray(outputs) == [], missing.stderr

    # With it, a whole day through the store: the password is nowhere but where it was written.
    (tmp_path / "b").mkdir()
    result, outputs = run_day(tmp_path / "b", sample_repo, hooks, {"DAILYDIFF_STORE_URL": url})
    assert result.returncode == 0, result.stderr
    store, counts = pg_text(pg_server, dbname)
    assert counts["runs"] == 1 and counts["delivery_ledger"] == 3, counts
    assert stray(outputs) == [] and stray(store) == []
    doctor = cli(["doctor", "--config", str(tmp_path / "b" / "dailydiff.toml")],
                 {"DAILYDIFF_STORE_URL": url, "HOOK_URL": hooks.urls()["webhook"]}, tmp_path)  # fmt: skip
    weak = [line for line in doctor.stdout.splitlines() if line.startswith("! secrets:")]
    assert len(weak) == 1 and "store.url is weak" in weak[0], doctor.stdout
    assert stray(doctor.stdout + doctor.stderr) == []


def test_a_misspelt_variable_is_named_in_one_warning(
    tmp_path: Path, sample_repo: Path, hooks: WebhookReceiver
) -> None:
    cfg = config(tmp_path, sample_repo)
    env = {"DAILYDIFF_RUN_CONCURENCY": "3", "HOOK_URL": hooks.urls()["webhook"], "DAILYDIFF_CI": "1"}
    result = cli(["run", "--date", DATE, "--config", str(cfg), "--data-dir", str(tmp_path / "data"),
                  "--output-dir", str(tmp_path / "out")], env, tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if "DAILYDIFF_" in line]
    assert warnings == [
        "dailydiff: warning: unknown environment variable DAILYDIFF_RUN_CONCURENCY (did you mean "
        "DAILYDIFF_RUN_CONCURRENCY?) ignored — settings are DAILYDIFF_<SECTION>_<KEY> (`dailydiff init` "
        "lists every setting)"
    ], result.stderr


@pytest.mark.parametrize(
    ("template", "part"),
    [
        ("postgresql://app:{s}@db:5432/p5?sslmode=require", None),
        ("host=db port=5432 user=app password='{s}' dbname=p5", None),
        ("postgresql://app:{s}@db/p5", "holds an '@'"),
        ("postgresql://app:{s}/x@db/p5", "holds a '/', '?' or '#'"),
        ("postgresql://app:{s}%zz@db/p5", "'%' that is not percent-encoded"),
        ("postgresql://app:{s}@[fe80::1/p5", "not a valid IPv6 address"),
        ("postgresql://app:{s}@db:99999/p5", "the port of the store URL"),
        ("postgresql://app:{s}/p5", "the port of the store URL"),  # the host forgotten: {s} looks like a port
        ("postgresql://app:{s}@db/p5?sslmdoe=require", "unknown query parameter 'sslmdoe'; did you mean 'sslmode'?"),
        ("host=db password={s} x dbname=p5", "the value of password in the store DSN"),
        ("host=db password='{s} dbname=p5", "the quoted value of password in the store DSN is not closed"),
        ("host=db dbnmae=p5 password={s}", "unknown key 'dbnmae'; did you mean 'dbname'?"),
        ("host=db port=http password={s}", "the port of the store URL"),
        ("{s}", "in neither form"),
    ],
)  # fmt: skip
def test_every_store_url_error_names_the_part_and_no_piece_of_the_password(
    template: str, part: str | None
) -> None:
    from dailydiff.common import storeurl

    secret = canary(at="'@'" in (part or ""))
    text = template.format(s=secret)
    if part is None:
        parsed = storeurl.parse(text)
        assert parsed.password == secret and leaked(secret, parsed.shown) == [] and "***" in parsed.shown
        return
    with pytest.raises(storeurl.StoreURLError) as caught:
        storeurl.parse(text)
    assert part in str(caught.value) and leaked(secret, str(caught.value)) == [], str(caught.value)


def test_doctor_names_a_misspelt_variable(tmp_path: Path, sample_repo: Path) -> None:
    cfg = config(tmp_path, sample_repo)
    env = {"DAILYDIFF_RUN_CONCURENCY": "3", "HOOK_URL": "http://127.0.0.1:9/"}
    doctor = cli(["doctor", "--config", str(cfg), "--data-dir", str(tmp_path / "data")], env, tmp_path)
    lines = [line for line in doctor.stdout.splitlines() if "DAILYDIFF_RUN_CONCUR" in line]
    assert len(lines) == 1 and lines[0].startswith("! environment:"), doctor.stdout
    assert "did you mean DAILYDIFF_RUN_CONCURRENCY?" in lines[0]


def test_every_variable_the_project_reads_or_sets_is_known() -> None:
    """The allow-list holds: no DAILYDIFF_* variable that the code reads (os.environ / getenv) or that CI,
    the Makefile or a workflow sets is called unknown (the warning would then cry wolf in every run)."""
    import re

    from dailydiff.settings import load_settings, unknown_environment

    root = SRC.parent
    read = re.compile(r"""(?:environ(?:\.get)?\(?\[?|getenv\()\s*["'](DAILYDIFF_[A-Z0-9_]+)["']""")
    sets = re.compile(r"(?:export\s+|\b)(DAILYDIFF_[A-Z0-9_]+)=")
    names: set[str] = set()
    for path in [*root.glob("src/**/*.py"), *root.glob("tests/**/*.py")]:
        names |= set(read.findall(path.read_text(encoding="utf-8")))
    for path in [root / ".ci" / "run", root / "Makefile", *root.glob(".github/workflows/*.yml")]:
        if path.is_file():
            names |= set(sets.findall(path.read_text(encoding="utf-8")))
    assert {"DAILYDIFF_CI", "DAILYDIFF_DEBUG", "DAILYDIFF_CHROMIUM"} <= names, names  # the scan works
    settings = load_settings(environ={}, cwd=SRC)
    assert unknown_environment(settings, dict.fromkeys(names, "1")) is None
