"""Security headers on every response, the API documentation pages served from local assets
under their own policy, and the citizen cookie's flags.

The policy allows no inline script anywhere but on `/docs`, whose one inline script (Swagger
UI's start-up call, written by FastAPI) is allowed by its hash. Styles: the pages' own inline
`<style>` blocks (the landing page's) are allowed by hash, so `style-src` needs no
`'unsafe-inline'`; the page scripts set element styles only through the DOM (Leaflet), which a
policy does not restrict, and put no `style=""` attributes into `innerHTML`. ReDoc injects its
styles as `<style>` elements at run time (styled-components), so `/redoc` alone has
`'unsafe-inline'` styles; it shows only the OpenAPI document. ReDoc's bundle also shows its
maker's logo from their CDN; it is served here with that image replaced by an empty inline one,
so that nothing leaves the server and the policy blocks nothing.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from urbanops.core.errors import NotFound
from urbanops.core.settings import Settings

_STYLE = re.compile(r"<style[^>]*>(.*?)</style>", re.DOTALL | re.IGNORECASE)
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def _hash(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
    return f"'sha256-{digest}'"


def inline_style_hashes(templates: Path) -> list[str]:
    """Hashes of the fixed inline `<style>` blocks of the page templates (a block with template
    expressions in it has no fixed hash and is not allowed)."""
    found: set[str] = set()
    for page in sorted(templates.rglob("*.html")):
        for block in _STYLE.findall(page.read_text(encoding="utf-8")):
            if "{{" not in block and "{%" not in block:
                found.add(_hash(block))
    return sorted(found)


def tile_source(tile_url: str) -> str | None:
    """The CSP source of a map tile URL template: `https://{s}.tile.example.org/{z}/{x}/{y}.png`
    → `https://*.tile.example.org` (a placeholder in the host becomes a leading wildcard)."""
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    host = parts.netloc.rsplit("@", 1)[-1]
    labels = host.split(".")
    templated = [i for i, label in enumerate(labels) if "{" in label]
    if templated:
        rest = labels[templated[-1] + 1 :]
        if not rest:
            return None
        host = ".".join(["*", *rest])
    return f"{parts.scheme}://{host}"


def _policy(directives: Mapping[str, Iterable[str]]) -> str:
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def _base_directives(settings: Settings) -> dict[str, list[str]]:
    images = ["'self'", "data:", "blob:"]
    tiles = tile_source(settings.geo.tile_url)
    if tiles:
        images.append(tiles)
    return {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": images,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "worker-src": ["'self'"],
        "manifest-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def content_security_policy(settings: Settings, *, templates: Path) -> str:
    """The policy of every page and response but the API documentation."""
    directives = _base_directives(settings)
    directives["style-src"] += inline_style_hashes(templates)
    return _policy(directives)


def security_headers(settings: Settings, *, templates: Path) -> list[tuple[str, str]]:
    headers = [
        ("Content-Security-Policy", content_security_policy(settings, templates=templates)),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if settings.env != "development":
        # browsers ignore it over plain http; behind the HTTPS proxy it pins HTTPS for a year
        headers.append(("Strict-Transport-Security", "max-age=31536000"))
    return headers


class SecurityHeaders:
    """Pure ASGI middleware: adds `headers` to every HTTP response that does not set them
    itself (the documentation pages set their own policy).

    The headers are encoded once, here, and a response's own header names are read once into
    a set: this runs on every response, the intake's hot path included."""

    def __init__(self, app: ASGIApp, *, headers: list[tuple[str, str]]) -> None:
        self.app = app
        self.headers = headers
        self._raw = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = self._raw

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", ()))
                present = {name.lower() for name, _ in own}
                own.extend(pair for pair in raw if pair[0] not in present)
                message["headers"] = own
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_secure(settings: Settings) -> bool:
    """Whether cookies carry `Secure`: `auth.cookie_secure` when set, else in production
    (development and the tests run over plain http, where a browser would drop them)."""
    if settings.auth.cookie_secure is not None:
        return settings.auth.cookie_secure
    return settings.env == "production"


# --- the API documentation, from npm's swagger-ui-dist and redoc -----------------------------------

SWAGGER = "/static/vendor/swagger-ui"
REDOC_BUNDLE = "/docs/redoc.standalone.js"
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E"


def install_api_docs(app: FastAPI, settings: Settings, *, redoc_bundle: Path) -> None:
    """`/docs` (Swagger UI) and `/redoc` with their assets served by this server (the app is
    made with `docs_url=None, redoc_url=None`), each with the policy it needs. `redoc_bundle`
    is npm's `redoc/bundles/redoc.standalone.js`."""
    openapi_url = app.openapi_url or "/openapi.json"
    title = f"{app.title} — API"
    favicon = f"{SWAGGER}/favicon-32x32.png"
    swagger_html = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=title,
        swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER}/swagger-ui.css",
        swagger_favicon_url=favicon,
        swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
    ).body
    redoc_html = get_redoc_html(
        openapi_url=openapi_url,
        title=title,
        redoc_js_url=REDOC_BUNDLE,
        redoc_favicon_url=favicon,
        with_google_fonts=False,
    ).body

    swagger = bytes(swagger_html).decode()
    redoc = bytes(redoc_html).decode()
    swagger_directives = _base_directives(settings)
    swagger_directives["script-src"] += [_hash(s) for s in _SCRIPT.findall(swagger)]
    swagger_policy = _policy(swagger_directives)
    redoc_directives = _base_directives(settings)
    redoc_directives["style-src"].append("'unsafe-inline'")
    redoc_directives["worker-src"].append("blob:")
    redoc_policy = _policy(redoc_directives)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        return HTMLResponse(swagger, headers={"Content-Security-Policy": swagger_policy})

    @app.get("/redoc", include_in_schema=False)
    def redoc_ui(request: Request) -> HTMLResponse:
        return HTMLResponse(redoc, headers={"Content-Security-Policy": redoc_policy})

    bundle: list[bytes] = []  # read on first use

    @app.get(REDOC_BUNDLE, include_in_schema=False)
    def redoc_script() -> Response:
        if not bundle:
            if not redoc_bundle.is_file():
                raise NotFound(
                    "缺少 ReDoc 前端库，请运行 make install",
                    code="asset_missing",
                    message_en="the ReDoc library is not installed: run make install",
                )
            text = redoc_bundle.read_text(encoding="utf-8")
            bundle.append(text.replace(REDOC_LOGO, EMPTY_IMAGE).encode())
        return Response(
            bundle[0],
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )
