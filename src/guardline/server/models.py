"""Request and response shapes of the HTTP API, for validation and the OpenAPI document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..types import Message

__all__ = ["AuditRefOut", "BatchOut", "FindingOut", "VerdictOut", "check_request_schema", "inline_schema"]


class FindingOut(BaseModel):
    detector: str
    category: str
    type: str
    severity: Literal["info", "low", "medium", "high", "critical"]
    span: list[int] | None
    score: float
    evidence: str


class AuditRefOut(BaseModel):
    seq: int
    hash: str


class VerdictOut(BaseModel):
    message_id: str
    action: Literal["allow", "redact", "escalate", "block"]
    text: str
    findings: list[FindingOut]
    policy: str
    policy_hash: str
    detectors: dict[str, str]
    latency_ms: float
    audit: AuditRefOut | None
    route: str | None = None


class BatchOut(BaseModel):
    verdicts: list[VerdictOut]


class IdentifiersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: list[str] = Field(min_length=1, max_length=1000)


class IdentifiersOut(BaseModel):
    customer_id: str
    registered: int


class ForgetOut(BaseModel):
    customer_id: str
    fingerprints_removed: int


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with every ``$ref`` to its own ``$defs`` inlined (the OpenAPI document
    then needs no extra components)."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.rsplit("/", 1)[1]])
            return {k: resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [resolve(v) for v in node]
        return node

    out: dict[str, Any] = resolve(schema)
    return out


def check_request_schema(max_batch: int) -> dict[str, Any]:
    message = inline_schema(Message)
    batch = {"type": "object", "title": "Batch", "additionalProperties": False, "required": ["messages"],
             "properties": {"messages": {"type": "array", "items": message, "minItems": 1,
                                         "maxItems": max_batch}}}
    return {"oneOf": [message, batch]}
