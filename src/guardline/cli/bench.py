"""``guardline bench KIND``: evaluation harnesses. Each kind is a module ``guardline.bench.KIND`` with
``add_arguments(parser)`` and ``run(args) -> int``."""

from __future__ import annotations

import importlib
from typing import Any

KINDS = ("pii", "leakage", "grounding", "injection", "pipeline")


def register(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure detectors on evaluation data")
    kinds = p.add_subparsers(dest="kind", metavar="KIND")
    kinds.required = True
    for kind in KINDS:
        try:
            module = importlib.import_module(f"guardline.bench.{kind}")
        except ModuleNotFoundError as exc:
            if exc.name == f"guardline.bench.{kind}":
                continue
            raise
        kp = kinds.add_parser(kind, help=(module.__doc__ or "").strip().splitlines()[0] if module.__doc__ else None)
        module.add_arguments(kp)
        kp.set_defaults(func=module.run)


