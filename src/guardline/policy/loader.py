"""Load a policy from YAML (file or string) or a dict, resolve ``extends:``, validate, hash.

Errors name the file, the line (for YAML input) and the dotted field. Merge rule for ``extends:``:
mappings merge key by key (the extending policy wins); lists replace, except ``actions``, where the
extending policy's rules come FIRST (first matching rule wins, so they take precedence).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError, PolicyError
from ..redact import DEFAULT_PLACEHOLDERS, RedactionRules
from ..types import Action, Category, Channel, Direction, Severity
from .schema import ActionRule, DetectorConfig, Policy

__all__ = ["BUILTIN_DEFAULT", "canonical_json", "load_policy"]

BUILTIN_DEFAULT = "default"
_TOP_KEYS = {"name", "extends", "description", "regions", "fail_mode", "error_action", "budget_ms",
             "detectors", "actions", "severity_actions", "redaction", "fallbacks", "audit", "alerts",
             "breaker", "canary", "monitor", "probes"}
_DETECTOR_KEYS = {"enabled", "directions", "budget_ms"}
_RULE_KEYS = {"type", "category", "severity", "direction", "channel", "action"}
_MAX_EXTENDS_DEPTH = 8

Lines = dict[str, int]


def canonical_json(doc: Any) -> str:
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# -- YAML with line numbers ------------------------------------------------------------------------

def _node_to_python(node: yaml.Node, path: str, lines: Lines, source: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise PolicyError("mapping keys must be plain strings", source=source,
                                  line=key_node.start_mark.line + 1, field=path or None)
            key = str(yaml.safe_load(yaml.serialize(key_node)))
            child = f"{path}.{key}" if path else key
            if key in out:
                raise PolicyError("duplicate key", source=source, line=key_node.start_mark.line + 1,
                                  field=child)
            lines[child] = key_node.start_mark.line + 1
            out[key] = _node_to_python(value_node, child, lines, source)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_node_to_python(item, f"{path}[{i}]", lines, source) for i, item in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _parse_yaml(text: str, source: str) -> tuple[dict[str, Any], Lines]:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise PolicyError(f"invalid YAML: {problem}", source=source,
                          line=mark.line + 1 if mark is not None else None) from None
    if node is None:
        raise PolicyError("the policy is empty", source=source)
    lines: Lines = {}
    doc = _node_to_python(node, "", lines, source)
    if not isinstance(doc, dict):
        raise PolicyError("a policy must be a mapping at the top level", source=source, line=1)
    return doc, lines


def _read(path: Path) -> tuple[dict[str, Any], Lines, str]:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError("file not found", source=source) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(f"cannot read: {exc}", source=source) from None
    doc, lines = _parse_yaml(text, source)
    return doc, lines, source


def _builtin_default() -> tuple[dict[str, Any], Lines, str]:
    text = resources.files("guardline").joinpath("policies/default.yaml").read_text(encoding="utf-8")
    doc, lines = _parse_yaml(text, "<builtin default>")
    return doc, lines, "<builtin default>"


# -- extends ---------------------------------------------------------------------------------------

def _merge(base: Any, over: Any, key: str = "") -> Any:
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = _merge(base[k], v, k) if k in base else v
        return out
    if key == "actions" and isinstance(base, list) and isinstance(over, list):
        return over + base
    return over


def _resolve(doc: dict[str, Any], lines: Lines, source: str, base_dir: Path | None,
             depth: int = 0, *, files: bool = True) -> dict[str, Any]:
    parent_ref = doc.get("extends")
    if parent_ref is None:
        return doc
    if depth >= _MAX_EXTENDS_DEPTH:
        raise PolicyError("extends: chain too deep (a cycle?)", source=source, line=lines.get("extends"),
                          field="extends")
    if not isinstance(parent_ref, str) or not parent_ref:
        raise PolicyError("must be a file path or 'default'", source=source, line=lines.get("extends"),
                          field="extends")
    if parent_ref != BUILTIN_DEFAULT and not files:
        raise PolicyError(f"must be {BUILTIN_DEFAULT!r} here: this policy may not read the server's files",
                          source=source, line=lines.get("extends"), field="extends")
    if parent_ref == BUILTIN_DEFAULT:
        pdoc, plines, psource = _builtin_default()
        pdir: Path | None = None
    else:
        ppath = Path(parent_ref)
        if not ppath.is_absolute() and base_dir is not None:
            ppath = base_dir / ppath
        if not ppath.exists():
            raise PolicyError(f"extended policy {parent_ref!r} not found", source=source,
                              line=lines.get("extends"), field="extends")
        pdoc, plines, psource = _read(ppath)
        pdir = ppath.parent
    parent = _resolve(pdoc, plines, psource, pdir, depth + 1)
    # validate the parent on its own first, so its errors name its own file and line
    _validate(parent, plines, psource)
    child = {k: v for k, v in doc.items() if k != "extends"}
    return dict(_merge(parent, child))


# -- validation ------------------------------------------------------------------------------------

def _enum(value: Any, enum: type, field: str, ctx: tuple[Lines, str]) -> Any:
    lines, source = ctx
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum)  # type: ignore[attr-defined]
        raise PolicyError(f"{value!r} is not one of: {allowed}", source=source, line=lines.get(field),
                          field=field) from None


def _fail(msg: str, field: str, ctx: tuple[Lines, str]) -> PolicyError:
    lines, source = ctx
    return PolicyError(msg, source=source, line=lines.get(field), field=field)


def _validate(doc: dict[str, Any], lines: Lines, source: str) -> None:
    ctx = (lines, source)
    for key in doc:
        if key not in _TOP_KEYS:
            raise _fail(f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})", key, ctx)
    dets = doc.get("detectors", {})
    if not isinstance(dets, dict):
        raise _fail("must be a mapping of detector name to settings", "detectors", ctx)
    for name, conf in dets.items():
        f = f"detectors.{name}"
        if conf is None:
            continue
        if not isinstance(conf, dict):
            raise _fail("must be a mapping of settings", f, ctx)
        if "enabled" in conf and not isinstance(conf["enabled"], bool):
            raise _fail("must be true or false", f + ".enabled", ctx)
        dirs = conf.get("directions", [])
        if not isinstance(dirs, list):
            raise _fail("must be a list (inbound, outbound)", f + ".directions", ctx)
        for i, d in enumerate(dirs):
            _enum(d, Direction, f"{f}.directions[{i}]", ctx)
        budget = conf.get("budget_ms", 1)
        if isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0:
            raise _fail("must be a positive number of milliseconds", f + ".budget_ms", ctx)
    rules = doc.get("actions", [])
    if not isinstance(rules, list):
        raise _fail("must be a list of rules", "actions", ctx)
    for i, rule in enumerate(rules):
        f = f"actions[{i}]"
        if not isinstance(rule, dict):
            raise _fail("must be a mapping", f, ctx)
        for k in rule:
            if k not in _RULE_KEYS:
                raise _fail(f"unknown key (allowed: {', '.join(sorted(_RULE_KEYS))})", f"{f}.{k}", ctx)
        if "action" not in rule:
            raise _fail("missing 'action'", f, ctx)
        _enum(rule["action"], Action, f + ".action", ctx)
        if "category" in rule:
            _enum(rule["category"], Category, f + ".category", ctx)
        if "direction" in rule:
            _enum(rule["direction"], Direction, f + ".direction", ctx)
        if "channel" in rule:
            _enum(rule["channel"], Channel, f + ".channel", ctx)
        sev = rule.get("severity")
        for s in (sev if isinstance(sev, list) else [sev] if sev is not None else []):
            _enum(s, Severity, f + ".severity", ctx)
        if "type" in rule and not isinstance(rule["type"], str):
            raise _fail("must be a string (a glob over finding types)", f + ".type", ctx)
    sa = doc.get("severity_actions", {})
    if not isinstance(sa, dict):
        raise _fail("must map severities to actions", "severity_actions", ctx)
    for k, v in sa.items():
        _enum(k, Severity, f"severity_actions.{k}", ctx)
        _enum(v, Action, f"severity_actions.{k}", ctx)
    fm = doc.get("fail_mode", {})
    if not isinstance(fm, dict):
        raise _fail("must map inbound/outbound to open/closed", "fail_mode", ctx)
    for k, v in fm.items():
        _enum(k, Direction, f"fail_mode.{k}", ctx)
        if v not in ("open", "closed"):
            raise _fail(f"{v!r} is not one of: open, closed", f"fail_mode.{k}", ctx)
    if "error_action" in doc:
        _enum(doc["error_action"], Action, "error_action", ctx)
    regions = doc.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(r, str) and len(r) == 2 for r in regions):
        raise _fail("must be a list of two-letter region codes (e.g. US, SE)", "regions", ctx)
    red = doc.get("redaction", {})
    if not isinstance(red, dict):
        raise _fail("must be a mapping", "redaction", ctx)
    for k, v in (red.get("keep_last") or {}).items():
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 8:
            raise _fail("must be an integer from 0 to 8", f"redaction.keep_last.{k}", ctx)
    fb = doc.get("fallbacks", {})
    if not isinstance(fb, dict):
        raise _fail("must map channels (or default, inbound) to texts", "fallbacks", ctx)
    for k, v in fb.items():
        if k not in ("default", "inbound"):
            _enum(k, Channel, f"fallbacks.{k}", ctx)
        if not isinstance(v, str | dict):
            raise _fail("must be a text or a mapping of language to text", f"fallbacks.{k}", ctx)
    audit = doc.get("audit", {})
    if not isinstance(audit, dict):
        raise _fail("must be a mapping", "audit", ctx)
    for k, v in audit.items():
        f = f"audit.{k}"
        if k == "durable" and not isinstance(v, bool):
            raise _fail("must be true or false", f, ctx)
        elif k in ("checkpoint_every", "checkpoint_seconds"):
            if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
                raise _fail("must be a positive number", f, ctx)
        elif k == "checkpoint_file":
            if v is not None and not isinstance(v, str):
                raise _fail("must be a file path or null", f, ctx)
        elif k == "commit_delay_ms":
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 50:
                raise _fail("must be a number of milliseconds from 0 to 50", f, ctx)
        elif k not in ("durable",):
            raise _fail("unknown key (allowed: checkpoint_every, checkpoint_file, checkpoint_seconds, "
                        "commit_delay_ms, durable)", f, ctx)


def _build(doc: dict[str, Any], lines: Lines, source: str) -> Policy:
    from ..detectors.registry import available

    ctx = (lines, source)
    default_budget = float(doc.get("budget_ms", 50))
    known = set(available())
    detectors: list[DetectorConfig] = []
    for name, conf in (doc.get("detectors") or {}).items():
        conf = conf or {}
        if name not in known:
            raise _fail(f"unknown detector (available: {', '.join(sorted(known))})", f"detectors.{name}", ctx)
        dirs = conf.get("directions") or [d.value for d in Direction]
        detectors.append(DetectorConfig(
            name=name,
            enabled=bool(conf.get("enabled", True)),
            directions=frozenset(Direction(d) for d in dirs),
            budget_ms=float(conf.get("budget_ms", default_budget)),
            settings={k: v for k, v in conf.items() if k not in _DETECTOR_KEYS},
        ))
    rules = []
    for rule in doc.get("actions") or []:
        sev = rule.get("severity")
        sevs = frozenset(Severity(s) for s in (sev if isinstance(sev, list) else [sev])) if sev else None
        rules.append(ActionRule(
            action=Action(rule["action"]),
            type=rule.get("type"),
            category=Category(rule["category"]) if "category" in rule else None,
            severities=sevs,
            direction=Direction(rule["direction"]) if "direction" in rule else None,
            channel=Channel(rule["channel"]) if "channel" in rule else None,
        ))
    severity_actions = {s: Action.ALLOW for s in Severity}
    severity_actions.update({Severity.MEDIUM: Action.REDACT, Severity.HIGH: Action.BLOCK,
                             Severity.CRITICAL: Action.BLOCK})
    severity_actions.update({Severity(k): Action(v) for k, v in (doc.get("severity_actions") or {}).items()})
    red = doc.get("redaction") or {}
    placeholders = dict(DEFAULT_PLACEHOLDERS)
    placeholders.update(red.get("placeholders") or {})
    fallbacks: dict[str, dict[str, str]] = {}
    for k, v in (doc.get("fallbacks") or {}).items():
        fallbacks[k] = {"en": v} if isinstance(v, str) else {str(lk): str(lv) for lk, lv in v.items()}
    fm = doc.get("fail_mode") or {}
    fail_closed = {Direction.INBOUND: fm.get("inbound", "open") == "closed",
                   Direction.OUTBOUND: fm.get("outbound", "closed") == "closed"}
    digest = hashlib.sha256(canonical_json(doc).encode()).hexdigest()
    return Policy(
        name=str(doc.get("name") or (Path(source).stem if not source.startswith("<") else "custom")),
        hash=digest,
        detectors=tuple(detectors),
        rules=tuple(rules),
        severity_actions=severity_actions,
        redaction=RedactionRules(placeholders=placeholders, keep_last=dict(red.get("keep_last") or {})),
        fallbacks=fallbacks,
        fail_closed=fail_closed,
        error_action=Action(doc.get("error_action", "escalate")),
        regions=tuple(r.upper() for r in doc.get("regions") or ()),
        audit=dict(doc.get("audit") or {}),
        document=doc,
        source=source,
    )


def load_policy(policy: str | Path | Mapping[str, Any] | None = None, *, files: bool = True) -> Policy:
    """Load a policy: None or ``"default"`` for the built-in default, a path to a YAML file, a YAML
    string (containing a newline), or a dict. ``files=False`` (a policy from a client) refuses an
    ``extends`` other than the built-in default: a path would read the server's files."""
    if policy is None or policy == BUILTIN_DEFAULT:
        doc, lines, source = _builtin_default()
        base_dir = None
    elif isinstance(policy, Mapping):
        try:  # a plain JSON copy; key order kept (detectors run in the order listed)
            doc = json.loads(json.dumps(policy, ensure_ascii=False, default=str))
        except (TypeError, ValueError) as exc:
            raise PolicyError(f"not serialisable: {exc}", source="<dict>") from None
        lines, source, base_dir = {}, "<dict>", None
    elif isinstance(policy, str) and "\n" in policy:
        doc, lines = _parse_yaml(policy, "<string>")
        source, base_dir = "<string>", None
    elif isinstance(policy, str | Path):
        path = Path(policy)
        doc, lines, source = _read(path)
        base_dir = path.parent
    else:
        raise ConfigError(f"cannot load a policy from {type(policy).__name__}")
    merged = _resolve(doc, lines, source, base_dir, files=files)
    _validate(merged, lines, source)
    built = _build(merged, lines, source)
    if any(k in merged for k in ("monitor", "alerts", "breaker", "canary", "probes")):
        from ..monitor.config import parse_monitoring  # validated here so every entry point sees errors

        parse_monitoring(merged, source=source)
    return built
