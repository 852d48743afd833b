"""Reading request bodies: JSON decoded once, errors translated into 400/422 at the boundary."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from .errors import ApiError

__all__ = ["decode_json", "json_body"]


async def json_body(request: Request) -> Any:
    return decode_json(await request.body())


def decode_json(raw: bytes) -> Any:
    if not raw:
        raise ApiError(422, "invalid_input", "a JSON body is required", field="body")
    try:
        return json.loads(raw)
    except UnicodeDecodeError:
        raise ApiError(400, "bad_request", "body is not valid UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, "bad_request", f"invalid JSON: {exc.msg} at line {exc.lineno} "
                                           f"column {exc.colno}") from None
    except RecursionError:
        raise ApiError(400, "bad_request", "JSON nested too deeply") from None
