"""Providers as they are: what each OpenAI-compatible endpoint needs that the others must not be sent.

A table, one row a provider, found from the endpoint's host, else from who its ``GET /models`` says owns the
model (``[llm] provider`` names one where neither says: a proxy, a gateway, a test). The response-mode ladder, cached-token fields (client.CACHED_FIELDS) and
prices are the same seams for all; what differs is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Provider:
    name: str
    hosts: tuple[str, ...] = ()
    # The request field that switches its thinking mode (billed), when it has one and defaults it on.
    thinking_field: str = ""
    # What its Batch API bills of the live price ([llm] batch): half at DashScope and OpenAI.
    batch_share: float = 1.0
    # Request members it is always sent (llama.cpp's own figures with every streamed event).
    fields: tuple[tuple[str, object], ...] = ()
    # Whether a streamed answer carries ``usage``: where it never does, its requests go unstreamed (the
    # whole answer is the only one that counts its tokens; a stream's chunks would be a guess).
    streams_usage: bool = True
    # Who its GET /models says owns the models (``owned_by``): a local server's host says nothing.
    owners: tuple[str, ...] = ()


PROVIDERS = {
    p.name: p
    for p in (
        Provider("deepseek", ("api.deepseek.com",)),
        # Qwen3 on DashScope thinks unless told not to (and bills it); JSON mode wants the word "JSON" said.
        Provider(
            "dashscope", ("dashscope.aliyuncs.com", "dashscope-intl.aliyuncs.com"), "enable_thinking", 0.5
        ),
        Provider("openai", ("api.openai.com",), batch_share=0.5),
        # llama.cpp's llama-server sends its usage only in a stream's last event; asked, every event carries its
        # timings (prompt_n, cache_n, predicted_n), so an answer stopped part-way (a loop) still has its count.
        Provider("llama.cpp", fields=(("timings_per_token", True),), owners=("llamacpp",)),
        # llama-cpp-python's server (0.3.x) ignores stream_options: its streamed answers carry no usage, its
        # whole answers do.
        Provider("llama-cpp-python", streams_usage=False),
        Provider("other"),
    )
}


def provider_of(base_url: str, configured: str = "auto") -> Provider:
    """The configured provider, else the one whose host the endpoint is on, else ``other``."""
    if configured in PROVIDERS:
        return PROVIDERS[configured]
    host = (urlsplit(base_url or "https://api.openai.com/v1").hostname or "").lower()
    for provider in PROVIDERS.values():
        if any(host == h or host.endswith("." + h) for h in provider.hosts):
            return provider
    return PROVIDERS["other"]


def provider_shown(models: Any) -> Provider | None:
    """The provider whose models a ``GET /models`` answer lists (their ``owned_by``), if it is one of ours."""
    data = models.get("data") if isinstance(models, dict) else None
    owners = (
        {str(m.get("owned_by")) for m in data if isinstance(m, dict)} if isinstance(data, list) else set()
    )
    return next((p for p in PROVIDERS.values() if owners & set(p.owners)), None)


def request_extras(provider: Provider, *, thinking: bool, service_tier: str) -> dict[str, object]:
    """The request members a provider is sent beyond the standard ones."""
    extras: dict[str, object] = dict(provider.fields)
    if provider.thinking_field:
        extras[provider.thinking_field] = thinking
    if service_tier:
        extras["service_tier"] = service_tier
    return extras
