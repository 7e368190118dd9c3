"""`serve`'s push hooks, end to end: a real `dailydiff serve` process, a real git repository, the local
webhook receiver. A signed push of 3 commits alerts the 2 that fire within 5 s; a replay, a bad signature,
an unknown repository and a 10 MB body send nothing; the next `run` sends no alert again and its report
marks both commits alerted (👀 and when)."""

from __future__ import annotations

import datetime as dt
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from alertkit import (
    REPO,
    SECRET,
    add_three,
    alert_messages,
    alerts_received,
    config_text,
    env_for,
    github_push,
    gitlab_push,
    make_repo,
    post,
    python,
    signed,
)
from clirun import dailydiff
from dailydiff.store import Store
from gitrepo import CommitSpec, FileEdit, commit, git
from netports import free_port
from webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.slow


def _wait_for(check: object, seconds: float) -> float:
    """Seconds until ``check()`` is true (fails after ``seconds``)."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if check():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds}s")


def _page(address: str) -> str:
    with urllib.request.urlopen(address, timeout=20) as page:
        return str(page.read().decode())


def _serve(tmp_path: Path, config: Path, env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    """A `dailydiff serve` process on a free port, once it listens; its stderr is read at its end."""
    port = free_port()
    proc = subprocess.Popen(
        [python(), "-m", "dailydiff", "serve", "--port", str(port), "-c", str(config), "--data-dir",
         str(tmp_path / "data")],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def up() -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            assert proc.poll() is None, proc.communicate()[1]
            return False

    _wait_for(up, 30)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, Path, WebhookReceiver, dict[str, str]]]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    work = make_repo(tmp_path, now)
    bare = tmp_path / "widgets.git"  # what the config follows: a local bare repository that is pushed to
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    config = tmp_path / "dailydiff.toml"
    config.write_text(config_text(bare), encoding="utf-8")
    Store.open(tmp_path / "data").close()  # serve serves an existing store
    hooks = WebhookReceiver().start()
    env = env_for(hooks)
    proc, url = _serve(tmp_path, config, env)
    try:
        yield url, work, config, hooks, env
    finally:
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
        hooks.stop()
        assert "Traceback" not in err, err


def test_a_signed_push_alerts_the_two_commits_that_fire_once(
    served: tuple[str, Path, Path, WebhookReceiver, dict[str, str]], tmp_path: Path
) -> None:
    url, repo, config, hooks, env = served
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    path_hit, diff_hit, nothing = add_three(repo, now)
    git(repo, "push", "-q", str(tmp_path / "widgets.git"), "HEAD:main")
    body = github_push(REPO, [path_hit, diff_hit, nothing])
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": signed(body)}

    # A wrong signature: 401, and nothing happens.
    bad = {**headers, "X-GitHub-Delivery": "d-0", "X-Hub-Signature-256": signed(body, "not-the-secret")}
    assert post(f"{url}/hooks/github", body, bad)[0] == 401
    assert (
        post(f"{url}/hooks/github", body, {k: v for k, v in headers.items() if "Signature" not in k})[0]
        == 401
    )

    started = time.monotonic()
    status, answer = post(f"{url}/hooks/github", body, headers)
    assert (status, answer["status"], answer["repo"]) == (202, "accepted", REPO)
    took = _wait_for(lambda: len(alerts_received(hooks)) >= 2, 30.0)
    total = time.monotonic() - started
    print(
        f"2 alerts at the receiver {total:.2f}s after the push was sent (acknowledged after {total - took:.2f}s)"
    )
    time.sleep(1.0)  # nothing more comes for the third commit
    got = alerts_received(hooks)
    assert sorted((a["sha"], a["topic"]) for a in got) == sorted([(path_hit, "auth"), (diff_hit, "secrets")])
    assert all(a["message"] == "alert" and a["why"] for a in got)
    assert any("src/auth/token.py" in w for a in got for w in a["why"])
    assert nothing not in {a["sha"] for a in got}
    assert hooks.violations == []

    # The same delivery again: acknowledged, nothing sent. A new delivery of the same push: the ledger.
    assert post(f"{url}/hooks/github", body, headers) == (200, {"status": "duplicate",
                                                              "reason": "this delivery was received before"})  # fmt: skip
    again = {**headers, "X-GitHub-Delivery": "d-2"}
    assert post(f"{url}/hooks/github", body, again)[0] == 202
    # An unknown repository: acknowledged and ignored.
    other = github_push("someone/else", [nothing])
    ignored = post(f"{url}/hooks/github", other, {**headers, "X-GitHub-Delivery": "d-3",
                                                  "X-Hub-Signature-256": signed(other)})  # fmt: skip
    assert ignored[0] == 202 and ignored[1]["status"] == "ignored"
    time.sleep(2.0)
    assert len(alerts_received(hooks)) == 2

    # GitLab: the token, then a push with one more commit that fires.
    later = commit(repo, CommitSpec("fix: session cookie", now - dt.timedelta(minutes=5),
                                    edits=[FileEdit("lib/auth/session.py", "x = 1\n")]))  # fmt: skip
    git(repo, "push", "-q", str(tmp_path / "widgets.git"), "HEAD:main")
    lab = gitlab_push(REPO, [later])
    lab_headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": "g-1"}
    assert post(f"{url}/hooks/gitlab", lab, {**lab_headers, "X-Gitlab-Token": "wrong"})[0] == 401
    assert post(f"{url}/hooks/gitlab", lab, {**lab_headers, "X-Gitlab-Token": SECRET})[0] == 202
    _wait_for(lambda: len(alerts_received(hooks)) >= 3, 30.0)
    assert alerts_received(hooks)[-1]["sha"] == later

    # The next `run` sends no alert again; its report marks the alerted commits, with when.
    before = len(alert_messages(hooks))
    days = ["--from", str((now - dt.timedelta(days=1)).date()), "--to", str(now.date())]  # midnight-proof
    result = dailydiff("run", "-c", config, "--data-dir", tmp_path / "data", *days, "-o", tmp_path / "out",
                       cwd=tmp_path, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len(alert_messages(hooks)) == before
    markdown = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.md"))
    marked = [line for line in markdown.splitlines() if "👀 alerted " in line]
    assert len(marked) == 3, markdown
    with Store.open(tmp_path / "data") as store:
        reports = [store.get_report(REPO, dt.date.fromisoformat(d), "en") for d in days[1::2]]
    alerted = {c.sha: c.alerted_at for r in reports if r is not None for c in r.commits}
    assert alerted[path_hit] and alerted[diff_hit] and alerted[later] and alerted[nothing] is None
    pages = [f"{url}/repos/acme--widgets/{r.date}.html" for r in reports if r is not None]  # the live site
    assert (
        sum(urllib.request.urlopen(page, timeout=20).read().decode().count("👀 alerted ") for page in pages)
        == 3
    )
    assert all(now - dt.timedelta(minutes=5) < alerted[sha] < now + dt.timedelta(minutes=5)  # type: ignore[operator]
               for sha in (path_hit, diff_hit, later))  # fmt: skip


@pytest.mark.parametrize("hook", ["github", "gitlab"])
def test_a_ten_megabyte_push_is_refused_unread(
    served: tuple[str, Path, Path, WebhookReceiver, dict[str, str]], hook: str
) -> None:
    url, _repo, _config, hooks, _env = served
    port = int(url.rsplit(":", 1)[1])
    size = 10 * 1024 * 1024
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        # Only the headers and a few bytes are sent: the answer comes without the rest being read.
        sock.sendall(
            f"POST /hooks/{hook} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=00\r\nContent-Length: {size}\r\n\r\n{{".encode()
        )
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert alert_messages(hooks) == []


def test_a_chunked_body_is_cut_off_once_it_grows_past_the_limit(
    served: tuple[str, Path, Path, WebhookReceiver, dict[str, str]],
) -> None:
    import select

    url, _repo, _config, hooks, _env = served
    port = int(url.rsplit(":", 1)[1])
    chunk = b"x" * 65536
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            f"POST /hooks/github HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nTransfer-Encoding: chunked\r\n"
            "X-GitHub-Event: push\r\nX-Hub-Signature-256: sha256=00\r\n\r\n".encode()
        )
        while sent < 64 * 1024 * 1024:
            if select.select([sock], [], [], 0)[0]:
                break  # the answer came: the server stopped reading
            try:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                break
            sent += len(chunk)
        answer = sock.recv(4096).decode("latin-1")
    print(f"chunked push: answered after {sent / 1048576:.2f} MB of 64 MB were sent (limit 1 MB)")
    assert answer.startswith("HTTP/1.1 413"), answer
    assert sent < 32 * 1024 * 1024  # the limit plus what the sockets' buffers took: never the whole body
    assert alert_messages(hooks) == []


def _pushed(repo: Path, tmp_path: Path, now: dt.datetime, message: str, path: str) -> str:
    sha = commit(repo, CommitSpec(message, now - dt.timedelta(minutes=5), edits=[FileEdit(path, "x = 1\n")]))
    git(repo, "push", "-q", str(tmp_path / "widgets.git"), "HEAD:main")
    return sha


def test_gitlab_pushes_without_an_event_uuid_are_told_apart_by_their_content(
    served: tuple[str, Path, Path, WebhookReceiver, dict[str, str]], tmp_path: Path
) -> None:
    """Issue 86 failure 5: a GitLab push without `X-Gitlab-Event-UUID` is judged by its content: a second,
    different push is alerted (not "duplicate"), the same body again is a duplicate."""
    url, repo, _config, hooks, _env = served
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Token": SECRET}
    first = _pushed(repo, tmp_path, now, "fix: session cookie", "lib/auth/session.py")
    assert post(f"{url}/hooks/gitlab", gitlab_push(REPO, [first]), headers)[1]["status"] == "accepted"
    _wait_for(lambda: len(alerts_received(hooks)) >= 1, 30.0)
    second = _pushed(repo, tmp_path, now, "fix: login throttle", "lib/auth/login.py")
    assert post(f"{url}/hooks/gitlab", gitlab_push(REPO, [second]), headers)[1]["status"] == "accepted"
    _wait_for(lambda: len(alerts_received(hooks)) >= 2, 30.0)
    assert [a["sha"] for a in alerts_received(hooks)] == [first, second]
    again = post(f"{url}/hooks/gitlab", gitlab_push(REPO, [second]), headers)
    assert again == (200, {"status": "duplicate", "reason": "this delivery was received before"})


def test_a_signed_body_nested_a_thousand_deep_is_a_400(
    served: tuple[str, Path, Path, WebhookReceiver, dict[str, str]],
) -> None:
    """Issue 86 failure 8: a signed push nested 1,000 deep is a 400 with one line, not a 500 and a
    `RecursionError` traceback in the log (the fixture checks the log for tracebacks)."""
    url, _repo, _config, hooks, _env = served
    for body in (b"[" * 1000 + b"]" * 1000, b'{"a":' * 1000 + b"1" + b"}" * 1000):
        headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": f"deep-{len(body)}",
                   "X-Hub-Signature-256": signed(body)}  # fmt: skip
        assert post(f"{url}/hooks/github", body, headers) == (
            400, {"error": "the body is not JSON, or is nested too deep"})  # fmt: skip
    assert alert_messages(hooks) == []


def _stopped_world(tmp_path: Path) -> tuple[dt.datetime, Path, Path, WebhookReceiver]:
    """What `served` makes, for a test that starts and stops `serve` itself: now, the working repository,
    the config and the receiver."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    repo = make_repo(tmp_path, now)
    git(tmp_path, "clone", "-q", "--bare", str(repo), str(tmp_path / "widgets.git"))
    config = tmp_path / "dailydiff.toml"
    config.write_text(config_text(tmp_path / "widgets.git"), encoding="utf-8")
    Store.open(tmp_path / "data").close()
    return now, repo, config, WebhookReceiver().start()


def test_a_push_whose_alerts_failed_is_logged_and_its_redelivery_sends_them(tmp_path: Path) -> None:
    """Issue 86 failure 7: the receiver down when a push's alerts go out: the log says they were not sent and
    when they are tried again; GitHub's "Redeliver" of that push (the same delivery id) is accepted, not
    "duplicate", and sends them once; a redelivery after that is a duplicate."""
    now, repo, config, hooks = _stopped_world(tmp_path)
    hooks.script["generic"] = [500] * 2  # the two alerts' sends fail (retries = 0)
    proc, url = _serve(tmp_path, config, env_for(hooks))
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        path_hit, diff_hit, _nothing = add_three(repo, now)
        git(repo, "push", "-q", str(tmp_path / "widgets.git"), "HEAD:main")
        body = github_push(REPO, [path_hit, diff_hit])
        headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-7", "X-Hub-Signature-256": signed(body)}
        assert post(f"{url}/hooks/github", body, headers)[1]["status"] == "accepted"
        _wait_for(lambda: any("not sent" in line for line in lines), 30.0)  # the pass ended, and said so
        assert alerts_received(hooks) == [] and not hooks.script["generic"]
        logged = next(line for line in lines if "not sent" in line)
        assert "tried again in 60s, on the next push or a redelivery" in logged and REPO in logged, logged
        redelivered = post(f"{url}/hooks/github", body, headers)
        assert redelivered == (202, {"status": "accepted", "repo": REPO}), redelivered
        _wait_for(lambda: len(alerts_received(hooks)) >= 2, 20.0)
        assert sorted(a["sha"] for a in alerts_received(hooks)) == sorted([path_hit, diff_hit])
        _wait_for(lambda: post(f"{url}/hooks/github", body, headers)[1]["status"] == "duplicate", 20.0)
        assert len(alerts_received(hooks)) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        reader.join(timeout=10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
        hooks.stop()
    err = "".join(lines)
    assert "Traceback" not in err, err


def test_a_sigterm_while_a_hook_s_alert_is_in_flight_lets_it_finish_and_records_it(tmp_path: Path) -> None:
    """Issue 86 failure 6: `serve` takes a SIGTERM while its hooks' pass has an alert in flight (the receiver
    holds it): the alert finishes and is recorded, nothing new is sent, exit 143; started again, a new
    delivery of the same push sends nothing twice."""
    now, repo, config, hooks = _stopped_world(tmp_path)
    env = env_for(hooks)
    held = hooks.hold_next["generic"] = threading.Event()
    proc, url = _serve(tmp_path, config, env)
    try:
        path_hit, diff_hit, _nothing = add_three(repo, now)
        git(repo, "push", "-q", str(tmp_path / "widgets.git"), "HEAD:main")
        body = github_push(REPO, [path_hit, diff_hit])
        headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d-6", "X-Hub-Signature-256": signed(body)}
        assert post(f"{url}/hooks/github", body, headers)[1]["status"] == "accepted"
        _wait_for(lambda: len(hooks.arrived.get("generic", [])) == 1, 20.0)  # the first alert, held
        proc.send_signal(signal.SIGTERM)
        try:  # it waits for the alert in flight
            proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            pass
        else:
            raise AssertionError(proc.communicate()[1])
        held.set()
        _out, err = proc.communicate(timeout=60)
    finally:
        held.set()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert len(hooks.arrived["generic"]) == 1 and len(alerts_received(hooks)) == 1, err
    proc, url = _serve(tmp_path, config, env)
    try:
        again = {**headers, "X-GitHub-Delivery": "d-6b"}
        assert post(f"{url}/hooks/github", body, again)[1]["status"] == "accepted"
        _wait_for(lambda: len(alerts_received(hooks)) >= 2, 20.0)
        time.sleep(1.0)  # nothing more comes
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
        hooks.stop()
    assert sorted(a["sha"] for a in alerts_received(hooks)) == sorted([path_hit, diff_hit])
