"""`/docs` (Swagger UI) and `/redoc` render the API offline: every asset from this server, no
request leaving it, and nothing blocked by their Content-Security-Policy. The other pages run
under the strict policy without a violation either."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, expect

pytestmark = pytest.mark.browser


class Watched:
    """A page whose requests may go only to the live server, with its CSP violations."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page, self.origin = page, origin
        self.outside: list[str] = []
        self.violations: list[str] = []
        page.route("**/*", self._route)
        page.on("console", self._console)

    def _route(self, route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or f"{parts.scheme}://{parts.netloc}" == self.origin:
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def _console(self, msg: ConsoleMessage) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.violations.append(msg.text)


@pytest.fixture
def watched(browser: Browser, live_server: str) -> Iterator[Watched]:
    ctx = browser.new_context(base_url=live_server, locale="zh-CN")
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield Watched(page, live_server)
    ctx.close()
    assert errors == [], f"JavaScript errors: {errors}"


def test_swagger_ui_renders_from_local_assets(watched: Watched) -> None:
    page = watched.page
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("UrbanOps", timeout=15000)
    login = page.locator('.opblock-summary-path[data-path="/api/v1/auth/token"]').first
    expect(login).to_be_visible()
    login.click()  # an operation opens with its parameters
    expect(page.locator(".opblock.is-open .opblock-section-header").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    assert watched.outside == [], watched.outside
    assert watched.violations == [], watched.violations


def test_redoc_renders_from_local_assets(watched: Watched) -> None:
    page = watched.page
    page.goto("/redoc")
    expect(page.locator("h1").first).to_contain_text("UrbanOps", timeout=20000)
    operation = page.locator("h2", has_text="Login").first
    expect(operation).to_be_visible()
    expect(page.get_by_text("/api/v1/auth/token").first).to_be_attached()
    assert watched.outside == [], watched.outside
    assert watched.violations == [], watched.violations


def test_the_docs_pages_have_their_own_policy_and_the_rest_the_strict_one(
    live_server: str,
) -> None:
    docs = httpx.get(f"{live_server}/docs").headers["content-security-policy"]
    assert "script-src 'self' 'sha256-" in docs and "unsafe-inline" not in docs
    redoc = httpx.get(f"{live_server}/redoc").headers["content-security-policy"]
    assert "script-src 'self';" in redoc and "style-src 'self' 'unsafe-inline'" in redoc
    for path in ("/", "/m/", "/console", "/admin/channels", "/openapi.json", "/healthz"):
        headers = httpx.get(f"{live_server}{path}").headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy, path
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/", "/console", "/m/"])
def test_the_pages_run_under_the_strict_policy(watched: Watched, path: str) -> None:
    page = watched.page
    page.goto(path)
    page.wait_for_load_state("networkidle")
    if path == "/":  # the inline style of the landing page is allowed by its hash
        color = page.locator("header").evaluate("e => getComputedStyle(e).backgroundColor")
        assert color == "rgb(11, 92, 173)"
    assert watched.outside == [], watched.outside
    assert watched.violations == [], watched.violations
