"""`doctor` tries each publish target without sending to it, and looks at the data directory without
creating it (issue 63 items 3 and 11)."""

from __future__ import annotations

from pathlib import Path

from netports import free_port
from opsfixtures import build_fixture_repo, dailydiff
from smtp_server import SmtpServer, email_publish_toml, make_certificate
from webhook_receiver import WebhookReceiver


def test_doctor_tries_each_chat_target_without_sending_and_fails_one_nothing_listens_on(
    tmp_path: Path,
) -> None:
    build_fixture_repo(tmp_path / "good", 0, per_day=1)
    closed = free_port()
    body = (
        '[[repos]]\nsource = "good"\n'
        '[[publish]]\nname = "team"\ntype = "slack"\nurl_env = "TEAM_SLACK_URL"\n'
        '[[publish]]\nname = "gone"\ntype = "feishu"\nurl_env = "GONE_FEISHU_URL"\n'
    )
    (tmp_path / "dailydiff.toml").write_text(body, encoding="utf-8")
    receiver = WebhookReceiver().start()
    try:
        env = {"TEAM_SLACK_URL": receiver.urls()["slack"],
               "GONE_FEISHU_URL": f"http://127.0.0.1:{closed}/open-apis/bot/v2/hook/s3cret"}  # fmt: skip
        result = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, env=env, check=False)
    finally:
        receiver.stop()
    lines = {line.split(":")[0]: line for line in result.stdout.splitlines()}
    assert result.returncode == 1, result.stdout
    assert (
        f"{receiver.base} answers" in lines["✓ publisher team"]
        and "nothing was sent" in lines["✓ publisher team"]
    )
    gone = lines["✗ publisher gone"]
    assert f"cannot reach http://127.0.0.1:{closed}" in gone and "— fix: " in gone, gone
    assert "; nothing was sent — fix: " in gone and "attempt" not in gone, gone  # tried once, by design
    assert "s3cret" not in result.stdout + result.stderr
    assert receiver.received == {} and receiver.hits == {}  # tried, not sent to


def test_doctor_greets_the_smtp_server_without_sending(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "good", 0, per_day=1)
    cert, key = make_certificate(tmp_path)
    server = SmtpServer(cert, key, password="pw-123456789").start()
    try:
        toml = '[[repos]]\nsource = "good"\n' + email_publish_toml(server, "MAIL_PASSWORD")
        (tmp_path / "dailydiff.toml").write_text(toml, encoding="utf-8")
        env = {"MAIL_PASSWORD": server.password}
        result = dailydiff("doctor", "--data-dir", tmp_path / "data", cwd=tmp_path, env=env)
    finally:
        server.stop()
    assert f"✓ publisher email: the SMTP server 127.0.0.1:{server.port} answers" in result.stdout
    assert server.received == []


def test_doctor_does_not_create_the_data_directory_or_the_store(tmp_path: Path) -> None:
    build_fixture_repo(tmp_path / "good", 0, per_day=1)
    (tmp_path / "dailydiff.toml").write_text('[[repos]]\nsource = "good"\n', encoding="utf-8")
    data = tmp_path / "state" / "data"
    result = dailydiff("doctor", "--data-dir", data, cwd=tmp_path)
    assert f"✓ data directory: {data} does not exist yet: the first run creates it" in result.stdout
    assert not (tmp_path / "state").exists()
    data.mkdir(parents=True)
    data.chmod(0o700)
    result = dailydiff("doctor", "--data-dir", data, cwd=tmp_path)
    assert "is writable and the first run creates the store" in result.stdout
    assert list(data.iterdir()) == []
