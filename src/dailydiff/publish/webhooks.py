"""Chat and generic webhooks: Feishu/Lark, DingTalk, WeCom, Slack, Discord, Microsoft Teams and a signed
JSON webhook.

Each publisher builds its payloads with the pure modules ``chat``/``chat_formats``, signs them the way
its service documents, posts them in order and checks the service's answer (Feishu, DingTalk and WeCom
report errors in a 200 response's body).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

import httpx2

from dailydiff.common.secrets import scrub
from dailydiff.common.text import output_tree
from dailydiff.errors import PublishError
from dailydiff.models import DayReport, Level
from dailydiff.publish.base import PublishResult, Secrets, Status, delivery_id, link
from dailydiff.publish.chat_formats import (
    dingtalk_payloads,
    discord_payloads,
    feishu_payloads,
    slack_payloads,
    teams_payloads,
    wecom_payloads,
)
from dailydiff.publish.http import Http, cut_off
from dailydiff.render.chat import Message, one_line
from dailydiff.settings.publishers import ChatEntry, WebhookEntry

if TYPE_CHECKING:  # the editions' types; render/ loads when an edition is built
    from dailydiff.render.edition import Edition, Part

Signed = tuple[str, bytes, dict[str, str]]


def feishu_sign(secret: str, timestamp: int) -> str:
    """Feishu/Lark custom bot: HMAC-SHA256 keyed with ``timestamp + "\\n" + secret`` over an empty
    message, base64."""
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk custom robot: HMAC-SHA256 keyed with the secret over ``timestamp + "\\n" + secret``,
    base64, then URL-encoded."""
    message = f"{timestamp_ms}\n{secret}".encode()
    digest = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def body_signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _json_bytes(payload: Any) -> bytes:
    return json.dumps(output_tree(payload), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class ChatPublisher:
    """A chat service: the edition's one chat message (render/chat.py) in the service's style, sized to
    its limits (``render``: publish/chat_formats.py), signed and posted in order."""

    type = "chat"
    parts: tuple[Part, ...] = ("chat",)
    formats: tuple[str, ...] = ()
    updates_in_place = False  # a message: once sent, a changed edition would be a second one
    one_writer = ""
    render: Callable[[Message, int], list[Any]]

    @property
    def skip_empty(self) -> bool:
        return self.entry.skip_empty

    def __init__(self, entry: ChatEntry, name: str, secrets: Secrets, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:  # fmt: skip
        self.entry = entry
        self.name = name
        self.secrets = secrets
        self.clock = clock
        self.sleep = sleep

    @property
    def target(self) -> str:
        """Where the messages go, for the delivery ledger. The URL is a secret: a hash of it (another
        URL is another destination), or the variable's name while it is unset."""
        url = self.secrets.environ.get(self.entry.url_env, "") if self.entry.url_env else ""
        if not url:
            return f"{self.type}:${self.entry.url_env}"
        return f"{self.type}:sha256:{hashlib.sha256(url.encode()).hexdigest()[:16]}"

    # what each service differs in -------------------------------------------------------------------

    def payloads(self, edition: Edition) -> list[Any]:
        message = edition.message(link(self.entry.report_url, edition), self.entry.max_commits)
        return self.render(message, self.entry.max_messages)

    def sign(self, url: str, payload: Any, secret: str) -> Signed:
        return url, _json_bytes(payload), {}

    def delivery_headers(self, edition: Edition) -> dict[str, str]:
        """Headers every request of this delivery carries (none but the generic webhook's)."""
        return {}

    # A service that reports errors in a 200 response's JSON body (Feishu, DingTalk, WeCom): its reason.
    refused: Callable[[Any], str | None] | None = None

    def problem(self, response: httpx2.Response) -> str | None:
        """None when the service accepted the message, else its reason."""
        if not response.is_success:
            return f"HTTP {response.status_code} {scrub(response.text)[:200]!r}"
        if self.refused is None:
            return None
        try:
            data = response.json()
        except ValueError:  # what it said instead, so the next step is clear (a proxy's page, a wrong URL)
            return f"an answer that is not JSON: HTTP {response.status_code} {scrub(response.text)[:120]!r}"
        return self.refused(data)

    # shared -----------------------------------------------------------------------------------------

    def send(self, edition: Edition) -> PublishResult:
        """Post the edition's payloads in order, signed; the first one the service rejects fails the
        delivery, and the whole delivery ends by the entry's ``deadline``."""
        payloads = self.payloads(edition)
        url = self.secrets.get(self.entry.url_env, "webhook URL")
        secret = self.secrets.optional(self.entry.secret_env, "signing secret")
        common = {"Content-Type": "application/json", **self.delivery_headers(edition)}
        notes: list[str] = []
        with Http(self.entry, sleep=self.sleep) as http:
            for index, payload in enumerate(payloads, 1):
                target, body, headers = self.sign(url, payload, secret)
                try:
                    response = http.request("POST", target, content=body, headers={**common, **headers})
                except PublishError as exc:
                    raise PublishError(self._progress(exc.message, index, len(payloads)), exc.hint) from None
                if cut_off(response):  # accepted by its status line: what its body would say is unknown
                    notes.append(
                        f"part {index}: " * (len(payloads) > 1) + cut_off(response) + " (not sent again)"
                    )
                    continue
                problem = self.problem(response)
                if problem is not None:
                    raise PublishError(
                        self._progress(f"the service rejected the message: {problem}", index, len(payloads)),
                        "check the webhook's URL, secret and the bot's settings",
                    )
        detail = "; ".join([f"sent {len(payloads)} message(s)", *notes])
        return PublishResult(self.name, self.type, Status.OK, detail)

    @staticmethod
    def _progress(message: str, index: int, total: int) -> str:
        if total == 1:
            return message
        return f"part {index} of {total}: {message} ({index - 1} part(s) sent before)"

    def preview(self, edition: Edition) -> str:
        payloads = self.payloads(edition)
        signed = (
            " (signed with the secret in $" + self.entry.secret_env + ")" if self.entry.secret_env else ""
        )
        out = [f"POST {len(payloads)} message(s) to the URL in ${self.entry.url_env}{signed}:"]
        out += [
            json.dumps(p, ensure_ascii=False, indent=2) if not isinstance(p, bytes) else p.decode()
            for p in payloads
        ]
        return "\n".join(out)


class FeishuPublisher(ChatPublisher):
    type = "feishu"

    render = staticmethod(feishu_payloads)

    def sign(self, url: str, payload: Any, secret: str) -> Signed:
        if secret:
            timestamp = int(self.clock())
            payload = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **payload}
        return url, _json_bytes(payload), {}

    @staticmethod
    def refused(data: Any) -> str | None:
        code = data.get("code", data.get("StatusCode", 0))
        return None if code == 0 else f"code {code}: {data.get('msg') or data.get('StatusMessage')}"


class _ErrcodePublisher(ChatPublisher):
    @staticmethod
    def refused(data: Any) -> str | None:
        return None if data.get("errcode") == 0 else f"errcode {data.get('errcode')}: {data.get('errmsg')}"


class DingTalkPublisher(_ErrcodePublisher):
    type = "dingtalk"

    render = staticmethod(dingtalk_payloads)

    def sign(self, url: str, payload: Any, secret: str) -> Signed:
        if secret:
            timestamp = int(self.clock() * 1000)
            url += (
                "&" if "?" in url else "?"
            ) + f"timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
        return url, _json_bytes(payload), {}


class WeComPublisher(_ErrcodePublisher):
    type = "wecom"

    render = staticmethod(wecom_payloads)


class SlackPublisher(ChatPublisher):
    type = "slack"

    render = staticmethod(slack_payloads)

    def problem(self, response: httpx2.Response) -> str | None:
        if response.is_success and response.text.strip() == "ok":
            return None
        return f"HTTP {response.status_code} {scrub(response.text)[:200]!r}"


class DiscordPublisher(ChatPublisher):
    type = "discord"

    render = staticmethod(discord_payloads)


class TeamsPublisher(ChatPublisher):
    """Microsoft Teams: an Adaptive Card per message. A Workflows webhook answers 202 Accepted; a
    classic incoming webhook answers 200 with the body "1" (anything else in a 200 is its error)."""

    type = "teams"
    render = staticmethod(teams_payloads)

    def problem(self, response: httpx2.Response) -> str | None:
        if response.status_code == 202 or (response.is_success and response.text.strip() in ("", "1")):
            return None
        return f"HTTP {response.status_code} {scrub(response.text)[:200]!r}"


def summary_payload(report: DayReport, report_url: str | None, max_commits: int) -> dict[str, Any]:
    listed = [rc for rc in report.commits if rc.watch] + [
        rc for rc in report.commits if rc.level is Level.HIGH and not rc.watch
    ]
    return {
        "schema_version": report.schema_version,
        "repo": report.repo,
        "date": report.date.isoformat(),
        "timezone": report.timezone,
        "stats": report.stats.model_dump(mode="json"),
        "overview": {"highlights": report.overview.highlights, "themes": report.overview.themes},
        "commits": [
            {
                "sha": rc.sha,
                "title": rc.title,
                "url": rc.url,
                "level": rc.level.value,
                "watch": rc.watch,
                "summary": one_line(rc.analysis.summary) if rc.analysis else "",
            }
            for rc in listed[:max_commits]
        ],
        "more_commits": max(0, len(listed) - max_commits),
        "report_url": report_url,
        # targets of the repository failing for days ([run] alert_after): only when there are some
        **({"alerts": report.alerts} if report.alerts else {}),
    }


class WebhookPublisher(ChatPublisher):
    """Any JSON endpoint: the DayReport JSON or a summary, signed ``sha256=<hex HMAC of the body>`` in a
    header when a secret is configured."""

    type = "webhook"
    entry: WebhookEntry

    parts: tuple[Part, ...] = ("data",)

    @property
    def target(self) -> str:
        # The summary and the full report are two deliveries, even to one URL.
        return f"{super().target}:{self.entry.payload}"

    def payloads(self, edition: Edition) -> list[Any]:
        """The edition's JSON (``payload = "report"``, or any unit but a day: an addendum's lists only its
        late commits), or a day's summary."""
        if self.entry.payload == "report" or edition.kind != "day" or edition.report is None:
            return [edition.files["json"].encode("utf-8")]
        return [summary_payload(edition.report, link(self.entry.report_url, edition), self.entry.max_commits)]

    def sign(self, url: str, payload: Any, secret: str) -> Signed:
        body = payload if isinstance(payload, bytes) else _json_bytes(payload)
        headers = {self.entry.signature_header: body_signature(secret, body)} if secret else {}
        return url, body, headers

    def delivery_headers(self, edition: Edition) -> dict[str, str]:
        """``Idempotency-Key``: the delivery's id (publish/base.py ``delivery_id``), the same each time that
        message is sent, so a receiver that keeps the keys it has seen drops a second copy."""
        return {"Idempotency-Key": delivery_id(edition, self.target, self.parts, self.formats)}
