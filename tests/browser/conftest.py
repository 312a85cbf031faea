"""Browser fixtures: the real app served by uvicorn on a free port against the test database,
and Debian's Chromium driven by Playwright (no browser download)."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from urbanops.app import create_app
from urbanops.core.settings import get_settings
from urbanops.identity import service as identity
from urbanops.identity.roles import Role

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Browser-Pass-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(engine: Engine) -> Iterator[str]:
    get_settings().demo_mode = True  # the sign-in page shows the one-time code
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(warm_up=True), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    # the machines that run the suite are shared: a page may take a few seconds to answer
    expect.set_options(timeout=15_000)
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def phone_page(browser, live_server: str):  # type: ignore[no-untyped-def]
    """A 390×844 phone in Dongguan (塘厦), Chinese, with geolocation allowed."""
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        geolocation={"latitude": 22.8006, "longitude": 114.0719},
        permissions=["geolocation"],
        base_url=live_server,
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    ctx.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture(scope="session")
def staff_tokens(engine: Engine, live_server: str) -> dict[str, dict[str, str]]:
    """Committed staff accounts (unique names) and their bearer tokens on the live server."""
    suffix = uuid.uuid4().hex[:6]
    maker = sessionmaker(engine)
    specs = {"handler": ([Role.handler], "branch_441900116"), "inspector": ([Role.inspector], None)}
    from sqlalchemy import select

    from urbanops.areas.models import Unit

    with maker.begin() as s:
        for name, (roles, unit_code) in specs.items():
            unit_id = s.scalar(select(Unit.id).where(Unit.code == unit_code)) if unit_code else None
            identity.create_user(
                s,
                username=f"b_{name}_{suffix}",
                password=PASSWORD,
                display_name=name,
                roles=roles,
                unit_id=unit_id,
            )
    tokens = {}
    for name in specs:
        r = httpx.post(
            f"{live_server}/api/v1/auth/token",
            data={"username": f"b_{name}_{suffix}", "password": PASSWORD},
        )
        tokens[name] = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return tokens
