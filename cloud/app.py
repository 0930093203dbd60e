"""The FastAPI application: routers, error mapping, and a lifespan that owns the workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from cloud import wiring
from cloud.api import alert_rules as alert_rules_api
from cloud.api import alerts as alerts_api
from cloud.api import audit as audit_api
from cloud.api import auth as auth_api
from cloud.api import availability as availability_api
from cloud.api import (
    blobs,
    broker_auth,
    calls,
    console,
    devices,
    hall_queue_config,
    hall_queue_desk,
    hall_queue_tickets,
    hall_queue_windows,
    jobs,
    me,
    sites,
    system,
)
from cloud.api import device_self as device_self_api
from cloud.api import enrollment as enrollment_api
from cloud.api import hall_content as hall_content_api
from cloud.api import hall_content_staff as hall_staff_api
from cloud.api import hall_haocha as hall_haocha_api
from cloud.api import hall_ratings as hall_ratings_api
from cloud.api import hall_ratings_follow_ups as hall_follow_ups_api
from cloud.api import hall_ratings_public as hall_ratings_public_api
from cloud.api import help_calls as help_calls_api
from cloud.api import help_cobrowse as help_cobrowse_api
from cloud.api import help_materials as help_materials_api
from cloud.api import help_recordings as help_recordings_api
from cloud.api import jobs_attachments as job_attachments_api
from cloud.api import kiosk_help as kiosk_help_api
from cloud.api import kiosk_tickets as kiosk_tickets_api
from cloud.api import media as media_api
from cloud.api import media_streams as media_streams_api
from cloud.api import metrics as metrics_api
from cloud.api import notifications as notifications_api
from cloud.api import overview as overview_api
from cloud.api import rollouts as rollouts_api
from cloud.api import telemetry as telemetry_api
from cloud.api import tokens as tokens_api
from cloud.api import users as users_api
from cloud.api.http_layer import install_http_layer
from cloud.api.kiosk_routers import KIOSK_ROUTERS
from cloud.db import migrate
from cloud.db import sites as site_repo
from cloud.logs import RequestIdMiddleware
from cloud.notify.model import Notifier
from cloud.settings import Settings
from cloud.wiring import Parts
from fleet.sites import PILOT_TREE, SiteSpec

log = logging.getLogger(__name__)
#: the hall's queue and content routers (issue 13)
HALL_ROUTERS = (
    hall_queue_config,
    hall_queue_windows,
    hall_queue_desk,
    hall_queue_tickets,
    hall_content_api,
    hall_staff_api,
)


def create_app(settings: Settings, notifier: Notifier | None = None) -> FastAPI:
    """Build the app; the lifespan migrates the database and runs the bus and dispatcher.
    ``notifier``: what alerts tell (default: the message service, ``parts.notify``)."""
    settings.require_safe_secret()
    parts = wiring.build(settings, notifier)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate.upgrade(parts.engine)
        parts.workers.migrated = True
        # One owner task holds the workers' TaskGroup, so an error in a request or test body
        # is never wrapped into the workers' ExceptionGroup (and vice versa).
        owner = asyncio.create_task(_run_workers(parts), name="cloud-workers")
        try:
            yield
        finally:
            await parts.bus.stop()
            await parts.media.close()  # issue 16: every peer connection ends
            await parts.notify.stop()  # records the sends under way before the workers end
            await parts.telemetry.stop()  # writes what the buffer still holds
            owner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await owner
            await parts.telemetry.store.close()  # a TSDB's HTTP sessions (the writer is done)
            await parts.engine.dispose()
            log.info("cloud stopped")

    app = FastAPI(
        title="kfleet cloud",
        version="0.1.0",
        summary="Fleet service for government-service halls: sites, devices, jobs.",
        lifespan=lifespan,
    )
    app.state.parts = parts
    _include_routers(app)
    install_http_layer(app, settings)  # error shape for CloudError and every other error
    app.add_middleware(RequestIdMiddleware)  # outermost: every log line knows its request
    return app


def _include_routers(app: FastAPI) -> None:
    """Every router, in the order the OpenAPI document lists them."""
    for module in (sites, devices, calls, jobs, blobs, system, me, console):
        app.include_router(module.router)
    app.include_router(enrollment_api.router)  # issue 10: enrollment and device identity
    app.include_router(device_self_api.router)
    for people in (auth_api, users_api, tokens_api):
        app.include_router(people.router)
    app.include_router(broker_auth.router)  # the broker's HTTP authn/authz hooks
    app.include_router(audit_api.router)
    app.include_router(job_attachments_api.router)  # issue 11: scans, snapshots, receipt proofs
    app.include_router(overview_api.router)  # issue 12: a site subtree at a glance
    app.include_router(notifications_api.router)  # issue 12: the record of notifications
    app.include_router(telemetry_api.router)  # issue 12: series, newest values, names
    app.include_router(availability_api.router)  # issue 12: 7x24
    app.include_router(metrics_api.router)
    app.include_router(alerts_api.router)  # issue 12: alerts, acknowledgements, silences
    app.include_router(hall_ratings_api.router)  # issue 13: 好差评 list, reports, phone links
    app.include_router(hall_follow_ups_api.router)  # issue 13: 差评 follow-ups
    app.include_router(hall_ratings_public_api.router)  # issue 13: kiosk and phone ratings
    app.include_router(alert_rules_api.router)
    for hall_router in HALL_ROUTERS:  # issue 13: the hall's queue and content
        app.include_router(hall_router.router)
    app.include_router(kiosk_tickets_api.router)  # issue 13: kiosk tickets + phone page
    app.include_router(hall_haocha_api.router)  # issue 13: 好差评 to the province
    for kiosk_router in KIOSK_ROUTERS:  # issue 14: the kiosk services
        app.include_router(kiosk_router.router)
    app.include_router(media_api.router)  # issue 16: WHIP/WHEP
    app.include_router(media_streams_api.router)  # issue 16: streams, view links, device streams
    app.include_router(help_calls_api.router)  # issue 16: the call centre (operators)
    app.include_router(kiosk_help_api.router)  # issue 16: the call centre (kiosks)
    app.include_router(help_cobrowse_api.router)  # issue 16: remote operation in a help call
    app.include_router(help_materials_api.router)  # issue 16: material review in a help call
    app.include_router(help_recordings_api.router)  # issue 16: call recordings, playback
    app.include_router(rollouts_api.router)  # issue 17: agent releases and staged rollouts


async def _run_workers(parts: Parts) -> None:
    async with asyncio.TaskGroup() as tg:
        for name, work in (
            ("bus", parts.bus.run()),
            ("dispatcher", parts.dispatcher.run()),
            ("broker-access", parts.access.run()),
            ("liveness", parts.liveness.run()),
            ("telemetry-writer", parts.telemetry.run()),
            ("alert-evaluator", parts.alerts.run()),
            ("notify", parts.notify.run()),
            ("hall", parts.hall.run()),
            ("kiosk", parts.kiosk.run()),
            ("media", parts.media.run()),  # issue 16: stream health, cleanup
            ("media-monitor", parts.monitor.run()),  # issue 16 walls
            ("help-calls", parts.help.run()),  # issue 16: ring on, miss after the wait limit
            ("help-recordings", parts.recordings.run()),  # issue 16: retention of recordings
            ("rollouts", parts.rollouts.run()),  # issue 17: the rollout gate
            ("hub-relay", parts.relay.run()),  # issue 17: notices between cloud workers
        ):
            parts.workers.track(tg.create_task(work, name=name))


async def seed_sites(target: FastAPI | Parts | AsyncSession, spec: SiteSpec = PILOT_TREE) -> int:
    """Create the sites of ``spec`` that are missing (idempotent); returns how many were new.

    Given an app or its :class:`~cloud.wiring.Parts`, the schema is migrated first, so this
    works before the app has started (``kfleet demo``, ``kfleet cloud seed-pilot``).
    """
    if isinstance(target, AsyncSession):
        created = await site_repo.seed(target, spec)
        await target.commit()
        return created
    parts: Parts = target.state.parts if isinstance(target, FastAPI) else target
    await migrate.upgrade(parts.engine)
    async with parts.sessions() as s:
        created = await site_repo.seed(s, spec)
        await s.commit()
    return created
