"""Production refuses the public default secret and short ones, however the server is started."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from urbanops.app import create_app, serving_app
from urbanops.core.errors import UnsafeConfiguration
from urbanops.core.settings import DEV_SECRET, AuthSettings, Settings, get_settings

LONG = "k" * 32


def _settings(env: str, secret: str) -> Settings:
    return Settings(env=env, auth=AuthSettings(secret_key=secret))


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(UnsafeConfiguration) as caught:
        _settings("production", DEV_SECRET).check_production()
    line = str(caught.value)
    assert "\n" not in line
    assert "URBANOPS_AUTH__SECRET_KEY" in line and "secrets.token_urlsafe(48)" in line
    assert "默认" in line and "default" in line


def test_production_refuses_a_short_secret() -> None:
    with pytest.raises(UnsafeConfiguration) as caught:
        _settings("production", "k" * 31).check_production()
    assert "31" in caught.value.message and "31" in caught.value.message_en


def test_production_accepts_a_long_secret() -> None:
    _settings("production", LONG).check_production()


@pytest.mark.parametrize("env", ["development", "test"])
def test_other_environments_are_unaffected(env: str) -> None:
    _settings(env, DEV_SECRET).check_production()
    _settings(env, "short").check_production()


def test_a_server_started_without_the_cli_refuses_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """`uvicorn --factory urbanops.app:serving_app` (and `--workers N` children) build the app
    through `serving_app`; `create_app` checks again when the server starts."""
    settings = get_settings()
    monkeypatch.setattr(settings, "env", "production")
    monkeypatch.setattr(settings.auth, "secret_key", DEV_SECRET)
    with pytest.raises(UnsafeConfiguration):
        serving_app()
    with pytest.raises(UnsafeConfiguration), TestClient(create_app()):
        pass
    monkeypatch.setattr(settings.auth, "secret_key", LONG)
    with TestClient(create_app()) as client:
        assert client.get("/healthz").status_code == 200
