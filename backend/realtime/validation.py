"""Readable explanations of why a client message was refused."""

from __future__ import annotations

from pydantic import ValidationError

_MAX_PROBLEMS = 3  # enough to fix a message, short enough to read
_NOT_AN_EVENT = ("union_tag_not_found", "model_attributes_type", "model_type", "dict_type")


def describe_invalid_message(error: ValidationError) -> str:
    """One sentence naming what is wrong: bad JSON, an unknown type, or the fields at fault."""
    problems = error.errors(include_url=False, include_input=False)
    first = problems[0] if problems else None
    if first is not None and first["type"] == "json_invalid":
        return f"Malformed JSON: {first['msg']}."
    if first is not None and first["type"] == "union_tag_invalid":
        tag = (first.get("ctx") or {}).get("tag", "?")
        expected = (first.get("ctx") or {}).get("expected_tags", "")
        where = ".".join(str(p) for p in first["loc"])
        if where:
            return f"Unknown type {tag!r} in `{where}`; expected one of {expected}."
        return f"Unknown event type {tag!r}; expected one of {expected}."
    if first is not None and not first["loc"] and first["type"] in _NOT_AN_EVENT:
        return "Every message must be a JSON object with a `type` field."
    details = "; ".join(
        f"{'.'.join(str(p) for p in problem['loc']) or 'message'}: {problem['msg']}"
        for problem in problems[:_MAX_PROBLEMS]
    )
    return f"Invalid message: {details}."
