"""A local webhook receiver that plays Feishu/Lark, DingTalk, WeCom, Slack, Discord and a generic JSON
endpoint on 127.0.0.1. It checks each payload's shape, the service's size limits and signatures —
computed here from the services' published algorithms, independently of dailydiff's code — and answers
the way each service does (errors in a 200 body for Feishu, DingTalk and WeCom)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from localserver import LocalServer

LIMITS = {
    "feishu_body_bytes": 20 * 1024,
    "dingtalk_text_bytes": 20000,
    "wecom_content_bytes": 4096,
    "slack_blocks": 50,
    "slack_section_chars": 3000,
    "slack_header_chars": 150,
    "slack_text_chars": 40000,
    "discord_content_chars": 2000,
    "teams_message_bytes": 28
    * 1024,  # "The message size limit is 28 KB" (Teams incoming webhooks, Workflows)
}
# Adaptive Card elements and actions a card of ours may hold, with the properties each accepts (schema 1.4).
TEAMS_ELEMENTS = {"TextBlock": {"type", "text", "wrap", "spacing", "size", "weight", "color", "isSubtle"}}
TEAMS_ACTIONS = {"Action.OpenUrl": {"type", "title", "url"}}


@dataclass
class WebhookReceiver:
    feishu_secret: str = ""
    dingtalk_secret: str = ""
    webhook_secret: str = ""
    signature_header: str = "X-Dailydiff-Signature"  # the generic webhook's (its `signature_header`)
    received: dict[str, list[Any]] = field(default_factory=dict)
    raw: dict[str, list[bytes]] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    script: dict[str, list[int]] = field(default_factory=dict)  # statuses to answer first, per service
    retry_after: str = "1"
    retry_after_statuses: tuple[int, ...] = (429,)  # the scripted statuses answered with Retry-After
    drip: float | None = None  # send every answer one byte per `drip` seconds
    # The status line and headers at once, then the body one byte per `body_drip` seconds: a receiver that
    # has taken the message (its status says so) and is slow to say more.
    body_drip: float | None = None
    teams_classic: bool = False  # Teams answers as a classic incoming webhook does: 200 with the body "1"
    echo: bool = False  # scripted answers quote the request (URL with its key, headers, body) back
    hits: dict[str, list[float]] = field(default_factory=dict)
    # Seconds each POST to a service is held before it is answered (a slow receiver); the hit is
    # counted when the request arrives, the message (``received``) when it is answered.
    delay: dict[str, float] = field(default_factory=dict)
    arrived: dict[str, list[bytes]] = field(default_factory=dict)  # every body, on arrival
    # The first POST to a service waits for its event (set by the test, or at stop) before it is answered:
    # a receiver held for as long as the test needs, without guessing a duration.
    hold_first: dict[str, threading.Event] = field(default_factory=dict)
    # The next POST to a service (from when it is set) waits for its event: a message held in flight.
    hold_next: dict[str, threading.Event] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopped: threading.Event = field(default_factory=threading.Event)

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, not 40 ms apart

            def log_message(self, *args: Any) -> None:
                return None

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, headers, body = receiver.handle(self.path, dict(self.headers), raw)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                try:
                    self.end_headers()
                    if receiver.body_drip is not None:
                        self.wfile.flush()  # the status line is out: the receiver has said it took it
                        for i in range(len(body)):
                            if receiver._stopped.wait(receiver.body_drip):
                                break
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                    elif receiver.drip is None:
                        self.wfile.write(body)
                    else:
                        for i in range(len(body)):
                            time.sleep(receiver.drip)
                            self.wfile.write(body[i : i + 1])
                            self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):  # the client went away (killed mid-send)
                    self.close_connection = True

        self.server = LocalServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        for held in [*self.hold_first.values(), *self.hold_next.values()]:
            held.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def urls(self, token: str = "tok3n") -> dict[str, str]:
        return {
            "feishu": f"{self.base}/feishu/open-apis/bot/v2/hook/{token}",
            "dingtalk": f"{self.base}/dingtalk/robot/send?access_token={token}",
            "wecom": f"{self.base}/wecom/cgi-bin/webhook/send?key={token}",
            "slack": f"{self.base}/slack/services/T000/B000/{token}",
            "discord": f"{self.base}/discord/api/webhooks/123/{token}",
            "teams": f"{self.base}/teams/workflows/triggers/manual/paths/invoke?sig={token}",
            "webhook": f"{self.base}/generic/{token}",
        }

    # checking -------------------------------------------------------------------------------------

    def handle(self, target: str, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(target)
        service = parts.path.split("/")[1]
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self._lock:
            self.hits.setdefault(service, []).append(time.monotonic())
            self.arrived.setdefault(service, []).append(raw)
            scripted = self.script.get(service)
            if scripted:
                status = scripted.pop(0)
                extra = {"Retry-After": self.retry_after} if status in self.retry_after_statuses else {}
                body = b"scripted"
                if self.echo:
                    echoed = {"url": target, "headers": headers, "body": raw.decode("utf-8", "replace")}
                    body = json.dumps({"message": "scripted", "request": echoed}).encode()
                return status, extra, body
            delay = self.delay.get(service, 0.0)
            hold = self.hold_first.get(service) if len(self.arrived[service]) == 1 else None
            hold = self.hold_next.pop(service, None) or hold
        if hold is not None:
            hold.wait(timeout=120)
        if delay:
            time.sleep(delay)
        content_type = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
        if content_type.split(";")[0].strip().lower() != "application/json":
            return self._reject(service, f"unsupported content type {content_type!r}")
        try:
            payload = json.loads(raw)
        except ValueError:
            return self._reject(service, "body is not JSON")
        check = getattr(self, f"_check_{service}", None)
        problem = check(payload, raw, query, headers) if check else f"unknown service {service}"
        if problem:
            return self._reject(service, problem)
        with self._lock:
            self.received.setdefault(service, []).append(payload)
            self.raw.setdefault(service, []).append(raw)
        return self._accept(service)

    def _accept(self, service: str) -> tuple[int, dict[str, str], bytes]:
        if service == "feishu":
            return 200, {}, b'{"code":0,"msg":"success","data":{}}'
        if service in ("dingtalk", "wecom"):
            return 200, {}, b'{"errcode":0,"errmsg":"ok"}'
        if service == "slack":
            return 200, {}, b"ok"
        if service == "discord":
            return 204, {}, b""
        if service == "teams":
            if self.teams_classic:
                return 200, {}, b"1"  # a classic incoming webhook
            return 202, {}, b""  # a Workflows trigger accepts and runs the flow later
        return 200, {}, b'{"ok":true}'

    def _reject(self, service: str, problem: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            self.violations.append(f"{service}: {problem}")
        if service == "feishu":
            return 200, {}, json.dumps({"code": 19021, "msg": problem}).encode()
        if service in ("dingtalk", "wecom"):
            return 200, {}, json.dumps({"errcode": 310000, "errmsg": problem}).encode()
        if service == "slack":
            return 400, {}, b"invalid_blocks"
        return 400, {}, json.dumps({"message": problem}).encode()

    def _check_feishu(
        self, payload: Any, raw: bytes, query: dict[str, str], headers: dict[str, str]
    ) -> str | None:
        if len(raw) > LIMITS["feishu_body_bytes"]:
            return f"request body {len(raw)} bytes over 20K"
        if self.feishu_secret:
            timestamp, sign = payload.get("timestamp"), payload.get("sign")
            if not timestamp or not sign or abs(time.time() - int(timestamp)) > 3600:
                return "missing or stale timestamp/sign"
            # Feishu's published algorithm: HMAC-SHA256 keyed with "timestamp\nsecret", empty message, base64.
            key = f"{timestamp}\n{self.feishu_secret}".encode()
            expected = base64.b64encode(hmac.new(key, digestmod=hashlib.sha256).digest()).decode()
            if not hmac.compare_digest(sign, expected):
                return "sign match fail"
        if payload.get("msg_type") != "post":
            return "msg_type must be post"
        posts = payload.get("content", {}).get("post", {})
        if not posts:
            return "content.post missing"
        for post in posts.values():
            if not isinstance(post.get("title"), str) or not isinstance(post.get("content"), list):
                return "post needs title and content"
            for paragraph in post["content"]:
                for element in paragraph:
                    if element.get("tag") not in ("text", "a", "at", "img") or not isinstance(
                        element.get("text"), str
                    ):
                        return f"bad element {element}"
                    if element["tag"] == "a" and not str(element.get("href", "")).startswith(
                        ("http://", "https://")
                    ):
                        return "link without http(s) href"
        return None

    def _check_dingtalk(
        self, payload: Any, raw: bytes, query: dict[str, str], headers: dict[str, str]
    ) -> str | None:
        if not query.get("access_token"):
            return "access_token missing"
        if self.dingtalk_secret:
            timestamp, sign = query.get("timestamp", ""), query.get("sign", "")
            if not timestamp.isdigit() or abs(time.time() * 1000 - int(timestamp)) > 3600 * 1000:
                return "timestamp missing or over an hour off"
            # DingTalk's published algorithm: HMAC-SHA256(secret, "timestamp\nsecret"), base64, URL-encoded
            # (parse_qs has decoded it already).
            to_sign = f"{timestamp}\n{self.dingtalk_secret}".encode()
            expected = base64.b64encode(
                hmac.new(self.dingtalk_secret.encode(), to_sign, hashlib.sha256).digest()
            )
            if not hmac.compare_digest(sign.encode(), expected):
                return "sign not match"
        if payload.get("msgtype") != "markdown":
            return "msgtype must be markdown"
        markdown = payload.get("markdown", {})
        if not markdown.get("title") or not markdown.get("text"):
            return "markdown.title and markdown.text are required"
        if len(markdown["text"].encode()) > LIMITS["dingtalk_text_bytes"]:
            return "markdown.text too long"
        return None

    def _check_wecom(
        self, payload: Any, raw: bytes, query: dict[str, str], headers: dict[str, str]
    ) -> str | None:
        if not query.get("key"):
            return "invalid webhook url, key missing"
        if payload.get("msgtype") != "markdown":
            return "msgtype must be markdown"
        content = payload.get("markdown", {}).get("content", "")
        if not content:
            return "markdown.content missing"
        if len(content.encode()) > LIMITS["wecom_content_bytes"]:
            return f"markdown.content exceed max length 4096 ({len(content.encode())})"
        return None

    def _check_slack(
        self, payload: Any, raw: bytes, query: dict[str, str], headers: dict[str, str]
    ) -> str | None:
        blocks = payload.get("blocks")
        if not isinstance(payload.get("text"), str) or len(payload["text"]) > LIMITS["slack_text_chars"]:
            return "text missing or too long"
        if not isinstance(blocks, list) or not blocks or len(blocks) > LIMITS["slack_blocks"]:
            return "blocks missing or more than 50"
        for block in blocks:
            text = block.get("text", {})
            if block.get("type") == "header":
                if (
                    text.get("type") != "plain_text"
                    or not 0 < len(text.get("text", "")) <= LIMITS["slack_header_chars"]
                ):
                    return "header text must be plain_text of at most 150 characters"
            elif block.get("type") == "section":
                if (
                    text.get("type") != "mrkdwn"
                    or not 0 < len(text.get("text", "")) <= LIMITS["slack_section_chars"]
                ):
                    return "section text must be mrkdwn of 1..3000 characters"
            else:
                return f"unexpected block {block.get('type')}"
        return None

    def _check_discord(
        self, payload: Any, raw: bytes, query: dict[str, str], headers: dict[str, str]
    ) -> str | None:
        content = payload.get("content")
        if not isinstance(content, str) or not content:
            return "Cannot send an empty message"
        if len(content) > LIMITS["discord_content_chars"]:
            return "content: Must be 2000 or fewer in length."
        if payload.get("allowed_mentions") != {"parse": []}:
            return "allowed_mentions must disable pings"
        return None

    def _check_teams(
        self, payload: Any, raw: bytes, query: dict[str, str], headers: dict[str, str]
    ) -> str | None:
        """The documented shape: a ``message`` with one Adaptive Card attachment (version ≤ 1.5) whose body
        holds known elements with their known properties, within Teams' 28 KB message limit."""
        if len(raw) > LIMITS["teams_message_bytes"]:
            return f"Request Entity Too Large: {len(raw)} bytes over 28 KB"
        if payload.get("type") != "message" or not isinstance(payload.get("attachments"), list):
            return "payload must be a message with attachments"
        if len(payload["attachments"]) != 1:
            return "one attachment per message"
        attachment = payload["attachments"][0]
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            return f"unexpected contentType {attachment.get('contentType')!r}"
        card = attachment.get("content")
        if not isinstance(card, dict) or card.get("type") != "AdaptiveCard":
            return "content must be an AdaptiveCard"
        if card.get("version") not in ("1.0", "1.1", "1.2", "1.3", "1.4", "1.5"):
            return f"unsupported card version {card.get('version')!r}"
        body = card.get("body")
        if not isinstance(body, list) or not body:
            return "a card needs a body"
        for element in body:
            known = TEAMS_ELEMENTS.get(element.get("type"))
            if known is None or set(element) - known:
                return f"unknown element or property: {sorted(set(element) - (known or set()))} in {element.get('type')}"
            if not isinstance(element.get("text"), str) or not element["text"].strip():
                return "a TextBlock needs text"
        for action in card.get("actions", []):
            known = TEAMS_ACTIONS.get(action.get("type"))
            if (
                known is None
                or set(action) - known
                or not str(action.get("url", "")).startswith(("http://", "https://"))
            ):
                return f"bad action {action}"
        return None

    def _check_generic(
        self, payload: Any, raw: bytes, query: dict[str, str], headers: dict[str, str]
    ) -> str | None:
        if self.webhook_secret:
            given = {k.lower(): v for k, v in headers.items()}.get(self.signature_header.lower(), "")
            expected = "sha256=" + hmac.new(self.webhook_secret.encode(), raw, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(given, expected):
                return f"bad signature in {self.signature_header}"
        # The two documented payloads: the summary, or the DayReport JSON (README "Publishing").
        if not isinstance(payload, dict):
            return "payload must be a JSON object"
        if "commits" in payload and "more_commits" in payload:
            shape = {"schema_version": int, "repo": str, "date": str, "timezone": str, "stats": dict,
                     "overview": dict, "commits": list, "more_commits": int}  # fmt: skip
            commit = {"sha": str, "title": str, "level": str, "watch": list, "summary": str}
            if any(not isinstance(payload.get(k), t) for k, t in shape.items()) or any(
                not isinstance(c, dict) or any(not isinstance(c.get(k), t) for k, t in commit.items())
                for c in payload["commits"]
            ):
                return "summary payload does not have its documented shape"
            if not (payload["report_url"] is None or str(payload["report_url"]).startswith("http")):
                return "report_url must be null or an http(s) URL"
            return None
        from pydantic import ValidationError

        if payload.get("kind") == "addendum":  # the late commits of a delivered day (README "Publishing")
            late = payload.get("late")
            if not isinstance(payload.get("repo"), str) or not isinstance(payload.get("date"), str) or not (
                isinstance(late, list) and late and all(isinstance(c, dict) and isinstance(c.get("sha"), str)
                                                        for c in late)
            ):  # fmt: skip
                return "addendum payload needs its repository, date and late commits"
            return None
        if payload.get("kind") in ("alert", "alerts"):  # one alert, or several folded (README "Alerts")
            alerts = [payload] if payload["kind"] == "alert" else payload.get("alerts")
            fields = {
                "repo": str,
                "sha": str,
                "topic": str,
                "why": list,
                "title": str,
                "level": str,
                "types": list,
            }
            if not (isinstance(alerts, list) and alerts and all(
                isinstance(a, dict) and all(isinstance(a.get(k), t) for k, t in fields.items()) for a in alerts
            )):  # fmt: skip
                return "alert payload needs the repository, sha, topic, reasons, title, level and types"
            return None
        if payload.get("kind") == "weekly":  # a repository's week (render/week.py WeekDigest)
            if (
                not isinstance(payload.get("repo"), str)
                or not isinstance(payload.get("week"), str)
                or not (isinstance(payload.get("days"), list))
            ):
                return "week payload needs its repository, week and days"
            return None
        if "repos" in payload:  # a digest's JSON (README "Digests")
            if (
                not isinstance(payload.get("name"), str)
                or not isinstance(payload["repos"], list)
                or not all(isinstance(r, dict) and isinstance(r.get("repo"), str) for r in payload["repos"])
            ):
                return "digest payload needs a name and its repositories"
            return None
        from dailydiff.models import DayReport  # the versioned JSON contract a consumer parses

        try:
            DayReport.model_validate(payload)
        except ValidationError as error:
            return f"neither a summary nor a DayReport: {error.error_count()} error(s)"
        return None
