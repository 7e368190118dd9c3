"""Issue 64 item 3: a message is sent once when the receiver's status line says it took it, however its
body goes on (a Teams webhook that answers ``200`` and then drips its body was sent every message twice)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import TypeAdapter

from dailydiff.engine.deliver import deliver
from dailydiff.publish.base import Secrets
from dailydiff.publish.registry import build_publishers
from dailydiff.settings.publishers import PublishEntry
from dailydiff.store import Store
from publish_reports import edition, make_report
from webhook_receiver import WebhookReceiver


@pytest.mark.parametrize("service", ["teams", "slack", "webhook"])
def test_a_status_line_that_accepts_ends_the_retries_and_the_delivery_is_recorded_with_a_note(
    tmp_path: Path, service: str
) -> None:
    # Every answer's status line comes at once; its body then takes 30 s a byte: the request's own timeout
    # (1 s) cuts each one while its body drips.
    hooks = WebhookReceiver(body_drip=30.0, teams_classic=True).start()
    url = hooks.urls()["webhook" if service == "webhook" else service].replace("/webhook/", "/generic/")
    entry = TypeAdapter(PublishEntry).validate_python(
        {"type": service, "url_env": "HOOK", "timeout": 1, "retries": 2, "backoff": 0.05}
    )
    secrets = Secrets({"HOOK": url})
    (publisher,) = build_publishers([entry], secrets)
    report = make_report(150 if service == "teams" else 3, high_every=2)  # Teams: several cards
    try:
        with Store.open(tmp_path) as store:
            (first,) = deliver(edition(report), [publisher], store, secrets=secrets)
            (again,) = deliver(edition(report), [publisher], store, secrets=secrets)
            row = store.deliveries(report.repo, report.date, report.language)[publisher.target]
    finally:
        hooks.stop()
    received = hooks.received["generic" if service == "webhook" else service]
    posts = hooks.arrived["generic" if service == "webhook" else service]
    assert hooks.violations == []
    # Each message was posted once: no retry after an accepting status line, and no second run's copy.
    assert len(posts) == len(received) == len({bytes(p) for p in posts}), (len(posts), len(received))
    if service == "teams":
        assert len(posts) > 1
    assert first.status == "ok" and again.status == "skipped", (first, again)
    assert row.state == "delivered"
    # The note says what happened, on one line: accepted (its status), the body stalled, not sent again.
    assert "accepted it (HTTP 200) but its answer's body stalled" in first.detail, first.detail
    assert "not sent again" in first.detail and "\n" not in first.detail
    assert "tok3n" not in first.detail  # the URL's secret is not in the note
    assert row.detail == first.detail


def test_an_error_status_followed_by_a_dripping_body_is_still_retried(tmp_path: Path) -> None:
    """Only an accepting status ends the retries: a 503 whose body drips is tried again (and the retry that
    is accepted is the one message)."""
    hooks = WebhookReceiver(body_drip=30.0, script={"slack": [503]}, retry_after_statuses=()).start()
    entry = TypeAdapter(PublishEntry).validate_python(
        {"type": "slack", "url_env": "HOOK", "timeout": 1, "retries": 2, "backoff": 0.05}
    )
    secrets = Secrets({"HOOK": hooks.urls()["slack"]})
    (publisher,) = build_publishers([entry], secrets)
    try:
        with Store.open(tmp_path) as store:
            (result,) = deliver(edition(make_report(3)), [publisher], store, secrets=secrets)
    finally:
        hooks.stop()
    assert len(hooks.arrived["slack"]) == 2 and len(hooks.received["slack"]) == 1
    assert result.status == "ok" and "stalled" in result.detail
