"""Page routes: the landing page, the citizen app shell (a PWA), the console, the field app (a
PWA, 掌上办案), the leaders' page, the admin pages (`ADMIN_SECTIONS`: users, units, the
responsibility matrix, time limits, holiday calendar, service stations, referral channels, API
keys, the audit trail), the service workers, uploaded media, the pages' JavaScript modules and
the front-end libraries installed by npm. The pages are plain JavaScript over /api/v1
(docs/DESIGN.md, "Front-end"); their templates only place the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from urbanops import __version__
from urbanops.core.errors import NotFound
from urbanops.core.settings import get_settings
from urbanops.core.storage import photo_store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)

# front-end libraries come from npm (`make install`), never from the repository
VENDOR = {
    "leaflet": ROOT / "node_modules" / "leaflet" / "dist",
    "leaflet.markercluster": ROOT / "node_modules" / "leaflet.markercluster" / "dist",  # /console
    "h3-js": ROOT / "node_modules" / "h3-js" / "dist" / "browser",  # /console heat layer
    "swagger-ui": ROOT / "node_modules" / "swagger-ui-dist",  # /docs
    "redoc": ROOT / "node_modules" / "redoc" / "bundles",  # /redoc
}


class AppStatic(StaticFiles):
    """The pages' own files, revalidated on every use (`no-cache`; unchanged files answer 304):
    the pages are JavaScript modules importing each other by plain URLs, which carry no version,
    so a browser must not keep an old module beside a new one."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        return response


@router.get("/", response_class=HTMLResponse)
def landing(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "landing.html", {"version": __version__})


@router.get("/m/", response_class=HTMLResponse)
def citizen_app(request: Request) -> HTMLResponse:
    settings = get_settings()
    return templates.TemplateResponse(
        request,
        "m/index.html",
        {"version": __version__, "demo": settings.demo_mode, "tile_url": settings.geo.tile_url},
    )


@router.get("/console", response_class=HTMLResponse)
def console(request: Request) -> HTMLResponse:
    context = {"version": __version__, "tile_url": get_settings().geo.tile_url}
    return templates.TemplateResponse(request, "console/index.html", context)


@router.get("/leader", response_class=HTMLResponse)
def leader(request: Request) -> HTMLResponse:
    return templates.TemplateResponse(request, "leader/index.html", {"version": __version__})


@router.get("/field")
def field_app_root() -> RedirectResponse:
    # the app lives under /field/, the scope of its service worker
    return RedirectResponse("/field/", status_code=308)


@router.get("/field/", response_class=HTMLResponse)
def field_app(request: Request) -> HTMLResponse:
    """掌上办案: the phone of handlers, inspectors and area chiefs (a PWA)."""
    return templates.TemplateResponse(request, "field/index.html", {"version": __version__})


@router.get("/field/manifest.webmanifest")
def field_manifest() -> FileResponse:
    return FileResponse(
        HERE / "static" / "field" / "manifest.webmanifest",
        media_type="application/manifest+json",
    )


@router.get("/field/sw.js")
def field_service_worker() -> FileResponse:
    # served from /field/ so that its scope is the app
    return FileResponse(
        HERE / "static" / "field" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


#: The administration's sections: (path, word key of page.js, label, template).
ADMIN_SECTIONS = (
    ("/admin", "nav_home", "管理首页", "admin/index.html"),
    ("/admin/users", "nav_users", "用户与角色", "admin/users.html"),
    ("/admin/units", "nav_units", "处置单位", "admin/units.html"),
    ("/admin/responsibility", "nav_matrix", "责任矩阵", "admin/responsibility.html"),
    ("/admin/time-limits", "nav_limits", "事项时限", "admin/time_limits.html"),
    ("/admin/calendar", "nav_calendar", "节假日安排", "admin/calendar.html"),
    ("/admin/stations", "nav_stations", "服务驿站", "admin/stations.html"),
    ("/admin/channels", "nav_channels", "转办渠道", "admin/channels.html"),
    ("/admin/prizes", "nav_prizes", "好礼兑换", "admin/prizes.html"),
    ("/admin/rewards-figures", "nav_figures", "活动数据", "admin/rewards_figures.html"),
    ("/admin/api-keys", "nav_keys", "API 密钥", "admin/api_keys.html"),
    ("/admin/audit", "nav_audit", "操作审计", "admin/audit.html"),
)


def _admin_page(path: str, template: str) -> None:
    def page(request: Request) -> HTMLResponse:
        return templates.TemplateResponse(
            request,
            template,
            {
                "version": __version__,
                "tile_url": get_settings().geo.tile_url,
                "current": path,
                "sections": [(href, key, label) for href, key, label, _ in ADMIN_SECTIONS],
            },
        )

    router.add_api_route(path, page, methods=["GET"], response_class=HTMLResponse)


for _path, _key, _label, _template in ADMIN_SECTIONS:
    _admin_page(_path, _template)


@router.get("/m/manifest.webmanifest")
def manifest() -> FileResponse:
    return FileResponse(
        HERE / "static" / "m" / "manifest.webmanifest", media_type="application/manifest+json"
    )


@router.get("/m/sw.js")
def service_worker() -> FileResponse:
    # served from /m/ so that its scope is the app
    return FileResponse(
        HERE / "static" / "m" / "sw.js",
        media_type="text/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/media/{key}")
def media(key: str) -> Response:
    path = photo_store().path(key)
    if path is None:
        raise NotFound("照片不存在", code="media_not_found", message_en="no such photo")
    return FileResponse(
        path, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=86400"}
    )


def mount_static(app: FastAPI) -> None:
    app.mount("/static/app", AppStatic(directory=HERE / "static"), name="static")
    for name, path in VENDOR.items():
        if path.is_dir():
            app.mount(f"/static/vendor/{name}", StaticFiles(directory=path), name=f"vendor-{name}")
