"""The app factory: ``create_app(settings, *, guard=None, keys=None, ...) -> FastAPI``.

Without a ``guard`` it builds one from configuration: the policy (``GUARDLINE_POLICY``), the state
store (``GUARDLINE_STATE_URL``, default ``sqlite:///guardline-state.db``) and the audit trail
(``GUARDLINE_DATABASE_URL``, default ``sqlite:///guardline.db``, which also holds tenants and API keys).
``app_from_env`` is the same for ``uvicorn --factory`` (one call per worker process).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from .. import __version__
from ..audit import audit_options
from ..config import ServerSettings, Settings, load_server_settings, load_settings
from ..errors import ConfigError
from ..guard import Guard
from ..keys import KeyRing
from ..monitor.setup import MonitoringSetup
from .errors import install_error_handler
from .fastpath import CheckFastPath
from .gateway import Gateway
from .keystore import KeyStore
from .limits import BodyLimit
from .metrics import MetricsSink
from .upstream import UpstreamClient, env_proxy_applies

__all__ = ["DEFAULT_DATABASE", "DEFAULT_STATE", "app_from_env", "create_app"]

DEFAULT_DATABASE = "sqlite:///guardline.db"
DEFAULT_STATE = "sqlite:///guardline-state.db"

_DESCRIPTION = """Guardline checks every message between an AI agent and its customers.

Authenticate with `Authorization: Bearer <API key>` (`guardline keys create --tenant T --scope S`).
Scopes: `check` < `read` < `admin`. Every request acts on the key's own tenant only.
Errors are `{"error": {"code", "message", "field"}}`."""


def _build_guard(core: Settings, *, database_url: str | None, state_url: str | None,
                 policy: Any, metrics: MetricsSink) -> tuple[Guard, MonitoringSetup]:
    """The Guard with its audit log, metrics sink, and monitoring (windows, alert rules, breakers,
    canaries) built from the policy's ``monitor``/``alerts``/``breaker``/``canary`` sections."""
    from ..audit import open_audit
    from ..monitor.setup import build_monitoring
    from ..policy import Policy, load_policy
    from ..state import open_state

    loaded = policy if isinstance(policy, Policy) else load_policy(policy if policy is not None else core.policy)
    ring = KeyRing(core.secret)
    state = open_state(state_url or core.state_url or DEFAULT_STATE)
    audit = None
    database = database_url or core.database_url or DEFAULT_DATABASE
    if database != "none":
        audit = open_audit(database, keys=ring, **audit_options(loaded))
    setup = build_monitoring(loaded, state, audit=audit, registry=metrics.registry)
    guard = Guard(loaded, state=state, keys=ring, audit=audit, sinks=[*setup.sinks, metrics],
                  interceptors=setup.interceptors, settings=core)
    return guard, setup


def create_app(settings: ServerSettings | None = None, *, guard: Guard | None = None,
               keys: KeyStore | None = None, core: Settings | None = None, database_url: str | None = None,
               state_url: str | None = None, policy: Any = None,
               monitoring: MonitoringSetup | None = None, freeze_gc: bool = False) -> FastAPI:
    """Build the gateway. ``guard``, ``keys`` and ``monitoring`` given by the caller are not closed on
    shutdown. A caller's ``guard`` without ``monitoring`` gets monitoring built and attached; with
    ``monitoring``, the caller has already wired its sinks and interceptors into the guard.
    ``freeze_gc``: call ``gc.freeze()`` once startup is done (for a process that serves only this app)."""
    settings = settings if settings is not None else load_server_settings()
    core = core if core is not None else (guard.settings if guard is not None else load_settings())
    metrics = MetricsSink()
    owned: list[Any] = []
    if guard is None:
        guard, monitoring = _build_guard(core, database_url=database_url, state_url=state_url,
                                         policy=policy, metrics=metrics)
        owned.extend([guard, monitoring])
    elif monitoring is not None:
        guard.sinks = (*guard.sinks, metrics)
    else:  # the caller's Guard: add metrics and monitoring to it
        from ..monitor.setup import build_monitoring

        monitoring = build_monitoring(guard.policy, guard.state, audit=guard.audit,  # type: ignore[arg-type]
                                      registry=metrics.registry)
        guard.sinks = (*guard.sinks, *monitoring.sinks, metrics)
        guard.interceptors = (*guard.interceptors, *monitoring.interceptors)
        owned.append(monitoring)
    if keys is None:
        db = database_url or core.database_url or DEFAULT_DATABASE
        if db == "none":
            raise ConfigError("the gateway needs a database for its API keys (GUARDLINE_DATABASE_URL)")
        keys = KeyStore(db)
        owned.append(keys)
    gateway = Gateway(guard=guard, keys=keys, settings=settings, metrics=metrics, owned=owned)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway.http = httpx.AsyncClient(limits=httpx.Limits(max_connections=256,
                                                             max_keepalive_connections=64))
        # the proxy's upstream calls: a lean keep-alive client (httpx where an env proxy applies)
        app.state.upstream = None if env_proxy_applies(settings.upstream_url) else UpstreamClient(
            max_connections=256, max_keepalive=64, user_agent=f"guardline/{__version__}")
        if monitoring is not None:
            monitoring.monitor.start()
            monitoring.start_probes(gateway.guard)
        if freeze_gc:
            # what startup built (policy, detector tables, compiled patterns) lives as long as the
            # process: out of the collector's sight, a full collection scans only what requests leave
            # behind (seen here: 70-130 ms pauses under load before, on the event loop of a worker).
            # Only for a process that is the gateway: an app embedded elsewhere leaves the host's GC be.
            gc.freeze()
        try:
            yield
        finally:
            if app.state.upstream is not None:
                await app.state.upstream.aclose()
                app.state.upstream = None
            await gateway.http.aclose()
            gateway.http = None
            for resource in reversed(gateway.owned):
                resource.close()

    app = FastAPI(title="Guardline", version=__version__, description=_DESCRIPTION, lifespan=lifespan)
    app.state.gateway = gateway
    app.state.monitoring = monitoring
    install_error_handler(app)
    app.add_middleware(CheckFastPath, gateway=gateway)          # inside BodyLimit: bodies stay capped
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)

    from . import check, conversations, customers, health, monitor_routes, proxy, replay, send, webhooks

    for module in (check, customers, conversations, replay, proxy, send, monitor_routes, health):
        app.include_router(module.router)
    app.include_router(webhooks.router)
    return app


def app_from_env() -> FastAPI:
    """For ``uvicorn guardline.server.app:app_from_env --factory``: everything from ``GUARDLINE_*``; the
    process is the gateway's, so its startup objects are frozen out of the garbage collector's scans."""
    return create_app(freeze_gc=True)
