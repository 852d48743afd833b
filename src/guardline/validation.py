"""Validation at the boundary: client input (dicts, JSON lines, bytes) into ``Message``.

Every error is an ``InvalidInput`` that names the field and the problem and never echoes the value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .errors import InvalidInput
from .types import MAX_TEXT_CHARS, Message

__all__ = ["describe_validation_error", "parse_message", "parse_message_json"]


def _loc(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "message"


def describe_validation_error(exc: ValidationError) -> tuple[str, str]:
    """(field path, problem) of the first error, without the offending value."""
    err = exc.errors(include_url=False, include_input=False)[0]
    field = _loc(tuple(err.get("loc", ())))
    kind = err.get("type", "")
    msg = err.get("msg", "invalid")
    if kind == "missing":
        msg = "is required"
    elif kind == "extra_forbidden":
        msg = "is not a known field"
    elif kind == "enum":
        expected = (err.get("ctx") or {}).get("expected", "")
        msg = f"must be one of {expected}"
    elif kind == "string_too_long":
        limit = (err.get("ctx") or {}).get("max_length")
        msg = f"is too long (limit {limit} characters)"
    elif msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    return field, msg


def parse_message(data: Any, *, max_text_chars: int = MAX_TEXT_CHARS) -> Message:
    """Validate a decoded JSON object into a Message."""
    if isinstance(data, Message):
        message = data
    else:
        if not isinstance(data, Mapping):
            raise InvalidInput(f"expected a JSON object, got {type(data).__name__}", field="message")
        text = data.get("text")
        if isinstance(text, str) and len(text) > max_text_chars:
            raise InvalidInput(f"is too long ({len(text)} characters; limit {max_text_chars})", field="text")
        try:
            message = Message.model_validate(data)
        except ValidationError as exc:
            field, problem = describe_validation_error(exc)
            raise InvalidInput(problem, field=field) from None
    if len(message.text) > max_text_chars:
        raise InvalidInput(f"is too long ({len(message.text)} characters; limit {max_text_chars})",
                           field="text")
    return message


def parse_message_json(raw: bytes | str, *, max_text_chars: int = MAX_TEXT_CHARS) -> Message:
    """Decode one JSON document (bytes must be UTF-8) and validate it into a Message."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"not valid UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    return parse_message(data, max_text_chars=max_text_chars)
