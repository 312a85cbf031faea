"""Security headers on every response, the citizen cookie's flags, the map tile origin in the
policy, and the API documentation pages with their own policy and local assets."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from urbanops.app import TEMPLATES, create_app
from urbanops.core.security import content_security_policy, inline_style_hashes, tile_source
from urbanops.core.settings import get_settings
from urbanops.identity import citizens
from urbanops.identity.models import OtpChallenge

from ..conftest import NOW
from .conftest import Clock

PHONE = "13700002222"


@pytest.mark.parametrize(
    "path", ["/", "/m/", "/console", "/healthz", "/openapi.json", "/api/v1/cases", "/nowhere"]
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    policy = headers["content-security-policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self';",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
    ):
        assert directive in policy, (path, directive)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["strict-transport-security"] == "max-age=31536000"  # env is "test"


def test_the_landing_page_style_is_allowed_by_its_hash(client: TestClient) -> None:
    html = client.get("/").text
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in client.get("/").headers["content-security-policy"]
    assert inline_style_hashes(TEMPLATES) == [f"'sha256-{digest}'"]


def test_no_strict_transport_security_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(get_settings(), "env", "development")
    with TestClient(create_app()) as c:
        headers = c.get("/openapi.json").headers
    assert "strict-transport-security" not in headers
    assert headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    ("template", "source"),
    [
        ("https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png", "https://*.tile.openstreetmap.org"),
        ("https://t{s}.tianditu.gov.cn/img_w/wmts?x={x}", "https://*.tianditu.gov.cn"),
        ("https://tiles.example.org:8443/{z}/{x}/{y}.png", "https://tiles.example.org:8443"),
        ("", None),
        ("javascript:alert(1)", None),
        ("https://{s}/{z}.png", None),
    ],
)
def test_the_tile_origin_becomes_a_policy_source(template: str, source: str | None) -> None:
    assert tile_source(template) == source


def test_the_map_tiles_are_allowed_as_images(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings()
    monkeypatch.setattr(
        settings.geo, "tile_url", "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"
    )
    policy = content_security_policy(settings, templates=TEMPLATES)
    assert "img-src 'self' data: blob: https://*.tile.openstreetmap.org;" in policy
    assert "connect-src 'self';" in policy


def _sign_in(client: TestClient, session: Session) -> str:
    session.add(
        OtpChallenge(
            phone=PHONE,
            ip="testclient",
            code_hash=citizens.keyed_digest(PHONE, "123456"),
            created_at=NOW,
            expires_at=NOW + timedelta(minutes=10),
        )
    )
    session.commit()
    r = client.post("/api/v1/citizen/session", json={"phone": PHONE, "code": "123456"})
    assert r.status_code == 200, r.text
    return str(r.headers["set-cookie"])


@pytest.mark.parametrize(("env", "secure"), [("test", False), ("production", True)])
def test_the_citizen_cookie_is_secure_outside_development_and_tests(
    client: TestClient,
    session: Session,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    env: str,
    secure: bool,
) -> None:
    monkeypatch.setattr(get_settings(), "env", env)
    cookie = _sign_in(client, session).lower()
    assert cookie.startswith("uo_citizen=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert ("; secure" in cookie) is secure
    cleared = client.delete("/api/v1/citizen/session").headers["set-cookie"].lower()
    assert "max-age=0" in cleared and ("; secure" in cleared) is secure


def test_the_cookie_setting_overrides_the_environment(
    client: TestClient, session: Session, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().auth, "cookie_secure", True)
    assert "; secure" in _sign_in(client, session).lower()


def test_swagger_ui_has_its_inline_script_allowed_by_hash(client: TestClient) -> None:
    r = client.get("/docs")
    assert r.status_code == 200
    html = r.text
    assert "cdn.jsdelivr.net" not in html and "fastapi.tiangolo.com" not in html
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    script = re.search(r"<script>(.*?)</script>", html, re.DOTALL)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    policy = r.headers["content-security-policy"]
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy
    assets = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
    for asset in assets:
        assert client.get(f"/static/vendor/swagger-ui/{asset}").status_code == 200, asset


def test_redoc_is_served_from_here_without_its_cdn_logo(client: TestClient) -> None:
    r = client.get("/redoc")
    assert r.status_code == 200
    assert "fonts.googleapis.com" not in r.text and "cdn.jsdelivr.net" not in r.text
    assert "style-src 'self' 'unsafe-inline'" in r.headers["content-security-policy"]
    bundle = client.get("/docs/redoc.standalone.js")
    assert bundle.status_code == 200
    assert bundle.headers["content-type"].startswith("text/javascript")
    assert len(bundle.content) > 500_000 and b"cdn.redoc.ly" not in bundle.content
