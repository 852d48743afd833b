"""``guardline bench KIND [ARGS]``: evaluation harnesses. Each kind is a module ``guardline.bench.KIND``
with ``add_arguments(parser)`` and ``run(args) -> int``, imported only when that kind runs."""

from __future__ import annotations

import argparse
import importlib
from typing import Any

KINDS = ("pii", "leakage", "grounding", "injection", "pipeline")


def register(sub: Any) -> None:
    p = sub.add_parser("bench", help="measure detectors on evaluation data",
                       description=f"Evaluation harnesses: {', '.join(KINDS)}. "
                                   "`guardline bench KIND --help` lists a kind's options.")
    p.add_argument("kind", choices=KINDS, help="what to measure")
    p.add_argument("args", nargs=argparse.REMAINDER, help="options of that kind")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    module = importlib.import_module(f"guardline.bench.{args.kind}")
    parser = argparse.ArgumentParser(prog=f"guardline bench {args.kind}",
                                     description=(module.__doc__ or "").strip() or None)
    module.add_arguments(parser)
    return int(module.run(parser.parse_args(args.args)) or 0)
