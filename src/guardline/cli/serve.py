"""``guardline serve``: run the HTTP gateway with uvicorn.

On first start (no API key in the database) it creates the tenant ``default`` and an admin key, and
prints the key ONCE. Without ``GUARDLINE_SECRET``/``GUARDLINE_SECRET_FILE`` it creates a master secret
file (``guardline.secret``, mode 0600) so fingerprints and audit texts survive restarts.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from ..config import load_settings
from ..errors import ConfigError
from ._runtime import add_common


def register(sub: Any) -> None:
    p = sub.add_parser("serve", help="run the HTTP gateway",
                       description="Serves /v1/check, the OpenAI-compatible proxy, provider webhooks, "
                                   "/metrics and the OpenAPI docs at /docs.")
    add_common(p)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--secret-file", default="guardline.secret",
                   help="master secret file created when GUARDLINE_SECRET is unset (default guardline.secret)")
    p.add_argument("--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug"))
    p.set_defaults(func=run)


def _ensure_secret(path: str) -> None:
    settings = load_settings()
    if settings.secret is not None:
        return
    file = Path(path)
    if not file.exists():
        fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
        print(f"guardline: generated a master secret in {file} (keep it; back it up)", file=sys.stderr)
    os.environ["GUARDLINE_SECRET_FILE"] = str(file.resolve())


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from ..policy import load_policy
    from ..server.app import DEFAULT_DATABASE, DEFAULT_STATE
    from ..server.keystore import KeyStore

    if args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    settings = load_settings()
    database = args.database or settings.database_url or DEFAULT_DATABASE
    state = args.state or settings.state_url or DEFAULT_STATE
    if args.workers > 1 and state.startswith("memory"):
        raise ConfigError("--workers > 1 needs a shared state store (sqlite:/// or redis://), not memory://")
    policy = args.policy or settings.policy
    load_policy(policy)  # fail fast, with file, line and field, before any worker starts
    _ensure_secret(args.secret_file)
    keys = KeyStore(database)
    try:
        if not keys.has_keys():
            keys.create_tenant("default")
            key, _ = keys.create_key("default", "admin")
            print(f"guardline: admin API key for tenant 'default' (shown once, store it now):\n{key}",
                  flush=True)
    finally:
        keys.close()
    os.environ["GUARDLINE_DATABASE_URL"] = database
    os.environ["GUARDLINE_STATE_URL"] = state
    if policy:
        os.environ["GUARDLINE_POLICY"] = str(policy)
    print(f"guardline: serving on http://{args.host}:{args.port} (docs at /docs)", file=sys.stderr, flush=True)
    options: dict[str, Any] = dict(factory=True, host=args.host, port=args.port, log_level=args.log_level,
                                   access_log=False, server_header=False)
    if args.workers > 1:
        # our own supervisor: the workers share the listening socket and split its connections evenly
        # (uvicorn's lets the first worker to wake take a whole burst of keep-alive connections)
        from ..server.balance import serve_workers

        config = uvicorn.Config("guardline.server.app:app_from_env", workers=args.workers, **options)
        return serve_workers(config, args.workers)
    uvicorn.run("guardline.server.app:app_from_env", **options)
    return 0
