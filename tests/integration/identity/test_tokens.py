"""Bearer tokens: only tokens this platform signed, with `exp`, `iat` and `sub`, not yet expired."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from urbanops.core.settings import get_settings
from urbanops.identity.service import ALGORITHM

from ..conftest import Staff, token

PROBLEM = "application/problem+json"


def _claims(staff: Staff, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": str(staff.actor.id),
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _signed(claims: dict[str, Any], key: str | None = None) -> str:
    return jwt.encode(claims, key or get_settings().auth.secret_key, algorithm=ALGORITHM)


def _unsigned(claims: dict[str, Any]) -> str:
    """A token with algorithm `none` (no signature at all)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _me(client: TestClient, bearer: str) -> Any:
    return client.get("/api/v1/me", headers={"Authorization": f"Bearer {bearer}"})


def test_a_token_from_login_works(client: TestClient, accounts: dict[str, Staff]) -> None:
    r = client.get("/api/v1/me", headers=token(client, accounts["chief"].username))
    assert r.status_code == 200 and r.json()["id"] == accounts["chief"].actor.id
    # and a hand-signed one with every claim, as the control for the forgeries below
    assert _me(client, _signed(_claims(accounts["chief"]))).status_code == 200


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(lambda s: _signed(_claims(s, exp=None)), id="no-exp"),
        pytest.param(lambda s: _signed(_claims(s, iat=None)), id="no-iat"),
        pytest.param(lambda s: _signed(_claims(s, sub=None)), id="no-sub"),
        pytest.param(
            lambda s: _signed(
                _claims(s, exp=int((datetime.now(UTC) - timedelta(minutes=1)).timestamp()))
            ),
            id="expired",
        ),
        pytest.param(
            lambda s: _signed(_claims(s), key="another-key-of-at-least-32-characters!"),
            id="other-key",
        ),
        pytest.param(lambda s: _unsigned(_claims(s)), id="alg-none"),
        pytest.param(lambda s: _signed(_claims(s, sub="9223372036854775808")), id="sub-huge"),
        pytest.param(lambda s: _signed(_claims(s, sub="admin")), id="sub-not-a-number"),
        pytest.param(lambda s: "not-a-token", id="garbage"),
    ],
)
def test_forged_or_expired_tokens_are_refused(
    client: TestClient, accounts: dict[str, Staff], forge: Any
) -> None:
    r = _me(client, forge(accounts["chief"]))
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["code"] == "invalid_token"


def test_a_token_without_expiry_is_refused_on_every_route(
    client: TestClient, accounts: dict[str, Staff]
) -> None:
    forged = {"Authorization": f"Bearer {_signed(_claims(accounts['leader'], exp=None))}"}
    assert client.get("/api/v1/cases", headers=forged).status_code == 401
    assert client.get("/api/v1/cases", headers=token(client, "t_leader")).status_code == 200
