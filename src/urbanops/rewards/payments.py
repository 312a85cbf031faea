"""The payment port: paying a cash red packet (现金红包) to a citizen.

`PaymentPort.transfer` pays `amount_fen` once for a transfer number `out_no` (the same number on
every retry, so a provider that already paid it does not pay again) and returns the provider's
reference, or raises `PayoutFailed` (`permanent=True` when retrying cannot help).

- `LocalPayments` (development, demo, tests): records each payout in the log and in memory and
  succeeds, or refuses every one when `URBANOPS_REWARDS__LOCAL_PAYOUT_FAILS=true` (to see a
  failure end in a refund). The `payout` table keeps every payout whichever adapter runs.
- `WechatPayTransfer`: WeChat Pay API v3 商家转账到零钱 (`POST /v3/transfer/batches`, one detail
  per batch, the request signed with the merchant's API key: `WECHATPAY2-SHA256-RSA2048`),
  configured by `URBANOPS_REWARDS__WECHAT_PAY_*`. It needs the payee's openid and the optional
  `cryptography` package (`pip install 'urbanops[payments]'`); tests never call it (its request
  is built by `transfer_request`, which they can read without sending).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from urbanops.core.settings import RewardsSettings, get_settings

log = logging.getLogger("urbanops.payments")


class PayoutFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


@dataclass(frozen=True)
class Transfer:
    out_no: str  # our number for the transfer: the same on every retry
    amount_fen: int
    openid: str | None
    remark: str


class PaymentPort(Protocol):
    name: str

    def transfer(self, t: Transfer) -> str: ...


class LocalPayments:
    """Records payouts (log and memory); `fail` makes every payout fail."""

    name = "local"

    def __init__(self, *, fail: bool = False, keep: int = 200) -> None:
        self.fail = fail
        self.paid: deque[Transfer] = deque(maxlen=keep)

    def transfer(self, t: Transfer) -> str:
        if self.fail:
            log.warning(
                "local payout %s of %d fen refused (configured to fail)", t.out_no, t.amount_fen
            )
            raise PayoutFailed("本地支付适配器被设置为失败 / the local adapter is set to fail")
        self.paid.append(t)
        log.info("local payout %s: %d fen (%s)", t.out_no, t.amount_fen, t.remark)
        return f"local-{t.out_no}"


def transfer_request(cfg: RewardsSettings, t: Transfer) -> tuple[str, dict[str, Any]]:
    """The path and JSON body of a 商家转账到零钱 batch of one transfer."""
    body = {
        "appid": cfg.wechat_pay_appid,
        "out_batch_no": t.out_no,
        "batch_name": "全莞拍现金红包",
        "batch_remark": t.remark[:32],
        "total_amount": t.amount_fen,
        "total_num": 1,
        "transfer_detail_list": [
            {
                "out_detail_no": t.out_no,
                "transfer_amount": t.amount_fen,
                "transfer_remark": t.remark[:32],
                "openid": t.openid,
            }
        ],
    }
    return "/v3/transfer/batches", body


class WechatPayTransfer:
    """WeChat Pay v3 商家转账到零钱 over httpx (never called in tests)."""

    name = "wechat"

    def __init__(self, cfg: RewardsSettings, timeout: float = 10.0) -> None:
        self.cfg, self.timeout = cfg, timeout

    def _authorization(self, method: str, path: str, body: str) -> str:
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import padding, rsa

        key = serialization.load_pem_private_key(
            Path(self.cfg.wechat_pay_key_path).read_bytes(), password=None
        )
        assert isinstance(key, rsa.RSAPrivateKey)
        nonce, stamp = secrets.token_hex(16), str(int(time.time()))
        message = f"{method}\n{path}\n{stamp}\n{nonce}\n{body}\n".encode()
        signature = base64.b64encode(key.sign(message, padding.PKCS1v15(), hashes.SHA256()))
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{self.cfg.wechat_pay_mch_id}",'
            f'nonce_str="{nonce}",signature="{signature.decode()}",'
            f'timestamp="{stamp}",serial_no="{self.cfg.wechat_pay_cert_serial}"'
        )

    def transfer(self, t: Transfer) -> str:
        import httpx

        if not t.openid:
            raise PayoutFailed(
                "市民未绑定微信，无法发放现金红包 / no WeChat openid", permanent=True
            )
        path, body = transfer_request(self.cfg, t)
        raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        try:
            response = httpx.post(
                self.cfg.wechat_pay_api_base + path,
                content=raw.encode(),
                headers={
                    "Authorization": self._authorization("POST", path, raw),
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
                timeout=self.timeout,
            )
        except httpx.HTTPError as exc:
            raise PayoutFailed(f"network: {exc}") from exc
        if response.status_code == 200:
            return str(response.json().get("batch_id", t.out_no))
        try:
            answer = response.json()
        except ValueError:
            answer = {}
        code = str(answer.get("code", response.status_code))
        # the batch number exists already: it was accepted by an earlier try
        if code == "ALREADY_EXISTS":
            return t.out_no
        permanent = response.status_code in (400, 403, 404) and code not in ("SYSTEM_ERROR",)
        raise PayoutFailed(f"{code}: {answer.get('message', '')}", permanent=permanent)


_local: LocalPayments | None = None


def payment_port() -> PaymentPort:
    """The adapter the settings name (`URBANOPS_REWARDS__PAYMENT_ADAPTER`)."""
    global _local
    cfg = get_settings().rewards
    if cfg.payment_adapter == "wechat":
        return WechatPayTransfer(cfg)
    if _local is None:
        _local = LocalPayments()
    _local.fail = cfg.local_payout_fails
    return _local
