"""A tenant policy that ``extends: default`` and adds brand and compliance rules, end to end through
``Guard`` (policy loader, pipeline, engine).

Other detectors of the default policy (PII, grounding, ...) also run; the assertions look at brand and
compliance findings and at the action the policy gives THEM, so they do not depend on what other
detectors think of the same text."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardline import Guard, Message, load_policy
from guardline.errors import ConfigError
from guardline.policy.engine import action_for
from guardline.state.memory import MemoryStore
from guardline.types import ACTION_ORDER, Action

TENANT_POLICY = """\
extends: default
name: acme
detectors:
  brand:
    directions: [outbound]
    competitors:
      Globex: [Globex Telecom, GlobexTel]
      Initech: []
    forbidden:
      - we guarantee
      - {regex: "\\\\bfree (iphone|phone) for life\\\\b", id: lifetime-phone, severity: critical}
  compliance:
    directions: [inbound, outbound]
    allowed_domains: [acme.com]
    max_sms_segments: 2
actions:
  - {type: "brand.competitor", action: escalate}
  - {type: "brand.off_limits_topic", action: escalate}
  - {type: "brand.missing_disclosure", action: escalate}
  - {type: "compliance.opt_out", action: allow}
  - {type: "compliance.optout_confirmation", action: allow}
"""


@pytest.fixture
def guard(tmp_path: Path) -> Guard:
    path = tmp_path / "acme.yaml"
    path.write_text(TENANT_POLICY, encoding="utf-8")
    return Guard(path, state=MemoryStore())


def out(guard: Guard, text: str, **extra: object) -> tuple[str, list[str]]:
    msg = {"direction": "outbound", "text": text, "tenant": "acme", "customer_id": "c1",
           "conversation_id": "conv-1", "channel": "sms", "metadata": {"first_message": False}}
    msg.update(extra)
    return mine(guard, msg)


def mine(guard: Guard, msg: dict[str, object]) -> tuple[str, list[str]]:
    """The action the policy gives to the brand and compliance findings, and their types."""
    v = guard.check(msg)
    ours = [f for f in v.findings if f.detector in ("brand", "compliance")]
    message = Message.model_validate(msg)
    action = max((action_for(guard.policy, f, message) for f in ours), key=ACTION_ORDER.__getitem__,
                 default=Action.ALLOW)
    if ours:  # the verdict is at least as strong
        assert ACTION_ORDER[v.action] >= ACTION_ORDER[action]
    return str(action), sorted(f.type for f in ours)


def test_extends_default_keeps_default_rules_and_adds_brand(guard: Guard) -> None:
    names = [d.name for d in guard.policy.detectors]
    assert "pii" in names and "brand" in names and "compliance" in names
    brand = next(d for d in guard.policy.detectors if d.name == "brand")
    assert "competitors" in brand.settings and "directions" not in brand.settings


@pytest.mark.parametrize(("text", "action", "types"), [
    ("Globex Telecom is cheaper, honestly.", "escalate", ["brand.competitor"]),
    ("INITECH has that plan too.", "escalate", ["brand.competitor"]),
    ("We guarantee it arrives tomorrow.", "block", ["brand.forbidden"]),
    ("Sign up now and get a FREE iPhone for life!", "block", ["brand.forbidden"]),
    ("Your order ships tomorrow. Track it at https://acme.com/t/1", "allow", []),
    ("Track it at https://bit.ly/x", "redact", ["compliance.url_not_allowed"]),
    ("I think you should buy bitcoin.", "escalate", ["brand.off_limits_topic"]),
])
def test_tenant_rules(guard: Guard, text: str, action: str, types: list[str]) -> None:
    assert out(guard, text) == (action, types)


def test_redacted_link_text(guard: Guard) -> None:
    v = guard.check({"direction": "outbound", "text": "Track it at https://bit.ly/x please", "tenant": "acme",
                     "customer_id": "c1", "channel": "webchat", "metadata": {"first_message": False}})
    if str(v.action) == "redact":  # unless another default detector asked for more
        assert "bit.ly" not in v.text and v.text.endswith(" please")


def test_opt_out_end_to_end(guard: Guard) -> None:
    inbound = mine(guard, {"direction": "inbound", "text": "STOPP", "tenant": "acme", "customer_id": "c1",
                           "channel": "sms"})
    assert inbound == ("allow", ["compliance.opt_out"])
    assert out(guard, "Our spring sale starts now!") == ("block", ["compliance.opted_out"])
    assert out(guard, "Sie wurden abgemeldet.") == ("allow", ["compliance.optout_confirmation"])
    assert out(guard, "Sie wurden abgemeldet.") == ("block", ["compliance.opted_out"])


def test_missing_disclosure_escalates(guard: Guard) -> None:
    action, types = out(guard, "Hi! How can I help?", metadata={"first_message": True})
    assert (action, types) == ("escalate", ["brand.missing_disclosure"])
    _, types = out(guard, "Hi! I'm the virtual assistant of this shop.", metadata={"first_message": True})
    assert "brand.missing_disclosure" not in types


def test_bad_brand_setting_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("extends: default\ndetectors:\n  brand:\n    competitors: Globex\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        Guard(load_policy(path), state=MemoryStore())
