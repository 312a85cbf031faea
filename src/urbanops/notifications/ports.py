"""The ports to reach people off the platform, and their adapters.

SMS: `ConsoleSms` writes messages to the log (development and demo); `HttpSms` posts to a
provider's HTTP gateway (e.g. a 阿里云/腾讯云 SMS relay) configured by URL and token.

Enterprise WeChat (企业微信) work messages for staff: `ConsoleWechat` logs and keeps them
(development, demo, tests); `WecomApi` calls the documented server API (`gettoken`, then
`message/send` with a text message for the member's user id), configured by
`URBANOPS_WECHAT__CORP_ID`, `__CORP_SECRET` and `__AGENT_ID`.
"""

from __future__ import annotations

import logging
import time
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


class WechatSender(Protocol):
    def send(self, userid: str, text: str) -> None: ...


class ConsoleWechat:
    """Logs every work message and keeps the last ones in memory (the demo shows them)."""

    def __init__(self, keep: int = 200) -> None:
        self.sent: deque[tuple[str, str]] = deque(maxlen=keep)

    def send(self, userid: str, text: str) -> None:
        self.sent.append((userid, text))
        log.info("WeChat work message to %s: %s", userid, text)


class WecomError(RuntimeError):
    """The WeChat server answered with a non-zero `errcode` (the job retries)."""


class WecomApi:
    """企业微信 server API: an access token from `gettoken` (kept until shortly before it
    expires), then `message/send` of a text message to one member of the application."""

    def __init__(
        self, base_url: str, corp_id: str, secret: str, agent_id: int, timeout: float = 5.0
    ) -> None:
        self.base_url, self.corp_id, self.secret = base_url.rstrip("/"), corp_id, secret
        self.agent_id, self.timeout = agent_id, timeout
        self._token: tuple[str, float] | None = None

    def _call(self, method: str, path: str, **kwargs: object) -> dict[str, object]:
        import httpx

        response = httpx.request(method, f"{self.base_url}{path}", timeout=self.timeout, **kwargs)  # type: ignore[arg-type]
        response.raise_for_status()
        body: dict[str, object] = response.json()
        if body.get("errcode", 0) != 0:
            raise WecomError(f"{path}: {body.get('errcode')} {body.get('errmsg')}")
        return body

    def _access_token(self) -> str:
        now = time.monotonic()
        if self._token is None or self._token[1] <= now:
            body = self._call(
                "GET",
                "/cgi-bin/gettoken",
                params={"corpid": self.corp_id, "corpsecret": self.secret},
            )
            ttl = float(str(body.get("expires_in", 7200)))
            self._token = (str(body["access_token"]), now + ttl - 300)
        return self._token[0]

    def send(self, userid: str, text: str) -> None:
        self._call(
            "POST",
            "/cgi-bin/message/send",
            params={"access_token": self._access_token()},
            json={
                "touser": userid,
                "msgtype": "text",
                "agentid": self.agent_id,
                "text": {"content": text},
            },
        )


_console_wechat = ConsoleWechat()
_wecom: WecomApi | None = None


def wechat_sender() -> WechatSender:
    """The configured WeChat adapter: the real API when a corp id is set, else the log."""
    global _wecom
    from urbanops.core.settings import get_settings

    cfg = get_settings().wechat
    if not cfg.corp_id:
        return _console_wechat
    if _wecom is None or (_wecom.corp_id, _wecom.agent_id) != (cfg.corp_id, cfg.agent_id):
        _wecom = WecomApi(cfg.api_base, cfg.corp_id, cfg.corp_secret, cfg.agent_id)
    return _wecom


def sms_sender() -> SmsSender:
    from urbanops.core.settings import get_settings

    cfg = get_settings().sms
    if cfg.gateway_url:
        return HttpSms(cfg.gateway_url, cfg.gateway_token)
    return _console
