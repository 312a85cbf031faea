"""The web application: REST API, Open311, pages and health."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from pydantic import BaseModel

import urbanops.models  # noqa: F401  (every table known before any query)
from urbanops import __version__
from urbanops.core.db import ping
from urbanops.core.limits import BodyLimitMiddleware
from urbanops.core.security import SecurityHeaders, install_api_docs, security_headers
from urbanops.core.settings import get_settings
from urbanops.core.web import SessionDep, install_error_handlers

TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"


class Health(BaseModel):
    status: str
    database: str
    version: str


def create_app(*, embedded_worker: bool = False, warm_up: bool = False) -> FastAPI:
    worker = None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        nonlocal worker
        get_settings().check_production()  # however the server was started
        if warm_up:
            from urbanops.bootstrap import warm_up as load_reference

            load_reference()
            # the modules and reference data loaded by now live as long as the process: keep
            # them out of the cyclic GC, whose full passes over them took ~0.4 s each
            gc.freeze()
        if embedded_worker:
            from urbanops.worker import BackgroundWorker

            worker = BackgroundWorker()
            worker.start()
        yield
        if worker is not None:
            worker.stop()

    app = FastAPI(
        title="UrbanOps",
        version=__version__,
        summary="城市运行管理服务平台 — city operations platform",
        openapi_url="/openapi.json",
        docs_url=None,  # served from local assets by `install_api_docs`
        redoc_url=None,
        lifespan=lifespan,
    )
    from urbanops.open311.formats import internal_error_document

    install_error_handlers(app, internal_error_formats={"/open311": internal_error_document})
    # bodies are counted as they stream in, before any parser or spool file sees them
    app.add_middleware(BodyLimitMiddleware)
    settings = get_settings()
    app.add_middleware(SecurityHeaders, headers=security_headers(settings, templates=TEMPLATES))

    from urbanops.areas.api import router as areas_router
    from urbanops.cases.api import router as cases_router
    from urbanops.cases.api import workflow_router
    from urbanops.cases.replies_api import router as replies_router
    from urbanops.cases.supervision_api import router as leader_router
    from urbanops.cases.triage_api import router as triage_router
    from urbanops.cases.views_api import router as views_router
    from urbanops.catalogue.api import router as catalogue_router
    from urbanops.identity.api import router as identity_router
    from urbanops.notifications.inbox_api import router as inbox_router
    from urbanops.reports.api import router as reports_router
    from urbanops.reports.classifier_api import router as classifier_router
    from urbanops.rewards.boards_api import public_router as rewards_boards_router
    from urbanops.rewards.earning_api import staff_router as rewards_earning_router
    from urbanops.rewards.figures_api import router as rewards_figures_router
    from urbanops.rewards.prizes_api import staff_router as rewards_prizes_router
    from urbanops.rewards.titles_api import public_router as rewards_titles_router

    for router in (
        identity_router,
        workflow_router,
        cases_router,
        leader_router,
        inbox_router,
        triage_router,
        replies_router,
        views_router,
        reports_router,
        classifier_router,
        areas_router,
        catalogue_router,
        rewards_prizes_router,
        rewards_boards_router,
        rewards_earning_router,
        rewards_titles_router,
        rewards_figures_router,
    ):
        app.include_router(router)

    from urbanops.areas.citizen_api import router as citizen_stations_router
    from urbanops.identity.citizen_api import router as citizen_account_router
    from urbanops.notifications.citizen_api import router as citizen_inbox_router
    from urbanops.open311.api import router as open311_router
    from urbanops.reports.citizen_api import router as citizen_reports_router
    from urbanops.rewards.boards_api import citizen_router as citizen_boards_router
    from urbanops.rewards.earning_api import citizen_router as citizen_rewards_router
    from urbanops.rewards.prizes_api import citizen_router as citizen_prizes_router
    from urbanops.rewards.titles_api import citizen_router as citizen_titles_router
    from urbanops.web.pages import VENDOR, mount_static
    from urbanops.web.pages import router as pages_router

    # the citizen app's API (/api/v1/citizen), by domain
    for router in (
        citizen_account_router,
        citizen_reports_router,
        citizen_inbox_router,
        citizen_stations_router,
        citizen_prizes_router,
        citizen_boards_router,
        citizen_titles_router,
        citizen_rewards_router,
    ):
        app.include_router(router)
    app.include_router(pages_router)
    app.include_router(open311_router)
    from urbanops.admin.api import router as admin_router
    from urbanops.admin.people_api import router as admin_people_router
    from urbanops.admin.reference_api import router as admin_reference_router

    app.include_router(admin_router)
    app.include_router(admin_people_router)
    app.include_router(admin_reference_router)
    mount_static(app)
    install_api_docs(app, settings, redoc_bundle=VENDOR["redoc"] / "redoc.standalone.js")

    @app.get("/healthz", response_model=Health, tags=["health"])
    def healthz(session: SessionDep) -> Health:
        return Health(status="ok", database="ok" if ping(session) else "down", version=__version__)

    return app


def serving_app() -> FastAPI:
    """The app as `urbanops serve` runs it: reference data preloaded, and an in-process job
    worker when the database is the embedded one (unless URBANOPS_EMBEDDED_WORKER=false)."""
    from urbanops.core.db import is_embedded

    settings = get_settings()
    settings.check_production()
    return create_app(
        embedded_worker=is_embedded(settings) and settings.embedded_worker, warm_up=True
    )
