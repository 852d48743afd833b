from __future__ import annotations

from pathlib import Path

import pytest

from guardline.errors import PolicyError
from guardline.policy import decide, load_policy
from guardline.types import Action, Category, Direction, Finding, Message, Severity


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_builtin_default_loads_and_has_stable_hash() -> None:
    a, b = load_policy(), load_policy("default")
    assert a.hash == b.hash and len(a.hash) == 64
    assert a.name == "default"
    assert any(d.name == "pii" for d in a.detectors)


def test_hash_changes_with_content(tmp_path: Path) -> None:
    p1 = load_policy(write(tmp_path, "a.yaml", "extends: default\nregions: [SE]\n"))
    p2 = load_policy(write(tmp_path, "b.yaml", "extends: default\nregions: [DE]\n"))
    assert p1.hash != p2.hash
    assert p1.regions == ("SE",)


def test_extends_puts_child_rules_first(tmp_path: Path) -> None:
    p = load_policy(write(tmp_path, "t.yaml", "extends: default\nactions:\n  - {type: 'pii.email', action: block}\n"))
    assert p.rules[0].type == "pii.email" and p.rules[0].action is Action.BLOCK
    assert len(p.rules) > 1


def test_extends_relative_file(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "name: base\nfallbacks:\n  default: 'hold on'\n")
    p = load_policy(write(tmp_path, "child.yaml", "extends: base.yaml\nname: child\n"))
    assert p.name == "child"
    assert p.fallbacks["default"]["en"] == "hold on"


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("detectors:\n  pii:\n    directions: [sideways]\n", "detectors.pii.directions[0]", 3),
        ("actions:\n  - {type: 'pii.*', action: obliterate}\n", "actions[0].action", 2),
        ("actions:\n  - {type: 'pii.*'}\n", "actions[0]", 2),
        ("budget_ms: 5\nsurprise: 1\n", "surprise", 2),
        ("detectors:\n  nosuch: {}\n", "detectors.nosuch", 2),
        ("fail_mode:\n  outbound: maybe\n", "fail_mode.outbound", 2),
        ("regions: [Sweden]\n", "regions", 1),
        ("detectors:\n  pii:\n    budget_ms: -3\n", "detectors.pii.budget_ms", 3),
        ("redaction:\n  keep_last:\n    pii.payment_card: 40\n", "redaction.keep_last.pii.payment_card", 3),
    ],
)
def test_errors_name_file_line_and_field(tmp_path: Path, text: str, field: str, line: int) -> None:
    path = write(tmp_path, "bad.yaml", text)
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert exc.value.field == field
    assert exc.value.line == line
    assert str(path) in str(exc.value)


def test_invalid_yaml_names_line(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "a: 1\nb: [unclosed\n")
    with pytest.raises(PolicyError) as exc:
        load_policy(path)
    assert exc.value.line is not None and "invalid YAML" in str(exc.value)


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="not found"):
        load_policy(tmp_path / "nope.yaml")
    with pytest.raises(PolicyError, match="empty"):
        load_policy(write(tmp_path, "e.yaml", ""))


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as exc:
        load_policy(write(tmp_path, "d.yaml", "name: a\nname: b\n"))
    assert exc.value.field == "name" and exc.value.line == 2


def test_extends_cycle_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\n")
    write(tmp_path, "b.yaml", "extends: a.yaml\n")
    with pytest.raises(PolicyError, match="too deep"):
        load_policy(tmp_path / "a.yaml")


def _msg(direction: str = "outbound", **kw: object) -> Message:
    return Message.model_validate({"direction": direction, "text": "call 555 0100 or mail a@b.co", **kw})


def _f(type_: str, sev: Severity, span: tuple[int, int] | None, cat: Category = Category.PII) -> Finding:
    return Finding("t", cat, type_, sev, span)


def test_decide_strongest_action_wins() -> None:
    p = load_policy({"detectors": {}, "severity_actions": {"low": "allow", "medium": "redact", "high": "block"}})
    msg = _msg()
    action, text = decide(p, msg, [_f("pii.phone", Severity.MEDIUM, (5, 13))])
    assert action is Action.REDACT and text == "call [PHONE] or mail a@b.co"
    action, _ = decide(p, msg, [_f("pii.phone", Severity.MEDIUM, (5, 13)),
                                _f("x.y", Severity.HIGH, None, Category.BRAND)])
    assert action is Action.BLOCK


def test_redact_without_span_escalates() -> None:
    p = load_policy({"detectors": {}})
    action, _ = decide(p, _msg(), [_f("hallucination.unsupported_amount", Severity.MEDIUM, None,
                                      Category.HALLUCINATION)])
    assert action is Action.ESCALATE


def test_fallback_by_channel_and_language() -> None:
    p = load_policy({"detectors": {}, "fallbacks": {"default": {"en": "wait", "de": "warten"}, "sms": "sms wait"}})
    f = _f("secret.credential", Severity.CRITICAL, (0, 4), Category.SECRET)
    assert decide(p, _msg(metadata={"language": "de"}), [f]) == (Action.BLOCK, "warten")
    assert decide(p, _msg(channel="sms"), [f]) == (Action.BLOCK, "sms wait")


def test_system_findings_follow_fail_mode() -> None:
    closed = load_policy({"detectors": {}, "fail_mode": {"outbound": "closed", "inbound": "open"}})
    sysf = _f("system.detector_error", Severity.HIGH, None, Category.SYSTEM)
    assert decide(closed, _msg("outbound"), [sysf])[0] is Action.ESCALATE
    assert decide(closed, _msg("inbound"), [sysf])[0] is Action.ALLOW


def test_rule_conditions() -> None:
    p = load_policy({"detectors": {}, "actions": [
        {"category": "pii", "direction": "inbound", "action": "allow"},
        {"type": "pii.*", "severity": ["medium", "high"], "channel": "sms", "action": "block"},
    ]})
    f = _f("pii.phone", Severity.MEDIUM, (5, 13))
    assert decide(p, _msg("inbound", channel="sms"), [f])[0] is Action.ALLOW
    assert decide(p, _msg("outbound", channel="sms"), [f])[0] is Action.BLOCK
    assert decide(p, _msg("outbound", channel="email"), [f])[0] is Action.REDACT
    assert Direction.INBOUND in p.fail_closed


def test_redaction_placeholder_comes_from_the_pii_finding_on_the_same_value() -> None:
    p = load_policy({"detectors": {}, "actions": [{"category": "pii", "action": "allow"}]})
    msg = Message.model_validate({"direction": "outbound", "text": "write to bob@example.com"})
    found = [_f("pii.email", Severity.MEDIUM, (9, 24)),
             _f("leakage.unknown_pii", Severity.MEDIUM, (9, 24), Category.LEAKAGE)]
    assert decide(p, msg, found) == (Action.REDACT, "write to [EMAIL]")


def test_audit_section_is_validated(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as exc:
        load_policy(write(tmp_path, "a.yaml", "audit:\n  durable: maybe\n"))
    assert exc.value.field == "audit.durable" and exc.value.line == 2
    with pytest.raises(PolicyError, match="unknown key"):
        load_policy(write(tmp_path, "b.yaml", "audit:\n  flush: 3\n"))
    with pytest.raises(PolicyError) as exc:
        load_policy(write(tmp_path, "c.yaml", "audit:\n  commit_delay_ms: 500\n"))
    assert exc.value.field == "audit.commit_delay_ms"
    from guardline.audit import audit_options

    assert audit_options(load_policy(write(tmp_path, "d.yaml", "audit:\n  commit_delay_ms: 2\n")))[
        "commit_delay_ms"] == 2.0
