"""The SMS port and its adapters.

`ConsoleSms` writes messages to the log (development and demo); `HttpSms` posts to a
provider's HTTP gateway (e.g. a 阿里云/腾讯云 SMS relay) configured by URL and token.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Protocol

log = logging.getLogger("urbanops.sms")


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class ConsoleSms:
    """Logs every message and keeps the last ones in memory (the demo shows them)."""

    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=keep)

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))
        log.info("SMS to %s: %s", phone, text)


class HttpSms:
    """Posts `{"phone": ..., "text": ...}` as JSON to a gateway URL with a bearer token."""

    def __init__(self, url: str, token: str, timeout: float = 5.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str) -> None:
        import httpx  # only with a gateway: httpx loads rich and pygments (~5 MiB a process)

        response = httpx.post(
            self.url,
            json={"phone": phone, "text": text},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=self.timeout,
        )
        response.raise_for_status()


_console = ConsoleSms()


def sms_sender() -> SmsSender:
    from urbanops.core.settings import get_settings

    cfg = get_settings().sms
    if cfg.gateway_url:
        return HttpSms(cfg.gateway_url, cfg.gateway_token)
    return _console
