"""Input validation with messages a person can act on.

Small and dependency-free on purpose: pydantic would add its import to every
cold start (docs/DESIGN.md section 9) for a handful of flat request bodies.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any, cast

from chalicelib.core.errors import BadRequestError

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")
MAX_EMAIL_LENGTH = 254
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# No request body of the contract nests deeper than a few levels; the json module
# recurses once per level, so deep nesting would be a RecursionError (a 500).
MAX_JSON_DEPTH = 20
_JSON_TOKEN_RE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_BODY = "Request body"


def json_depth(text: str, stop_above: int | None = None) -> int:
    """How deeply arrays and objects nest in `text`, brackets inside strings aside
    (counting stops once it passes stop_above).

    One linear pass (no recursion), so it is safe on any input the body-size limit
    lets through."""
    depth = deepest = 0
    for token in _JSON_TOKEN_RE.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if stop_above is not None and deepest > stop_above:
                    break
        elif char in "]}":
            depth -= 1
    return deepest


def parse_json(raw: bytes | str | None, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The request body as JSON; an empty body is an empty object. Bodies nested
    deeper than max_depth are a 400 (the size is bounded by chalicelib.http.limits),
    and so are strings that are not Unicode text (a lone surrogate escape)."""
    if not raw:
        return {}
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise BadRequestError("Request body is not valid JSON (it is not UTF-8)") from exc
    # Fewer brackets than the limit cannot nest past it: most bodies skip the scan.
    if text.count("[") + text.count("{") > max_depth and \
            json_depth(text, stop_above=max_depth) > max_depth:
        raise BadRequestError(
            f"Request body nests arrays or objects more than {max_depth} levels deep")
    try:
        body = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise BadRequestError("Request body is not valid JSON") from exc
    # JSON may escape half of a UTF-16 surrogate pair alone ("\ud800"): json.loads
    # keeps it, and encoding it as UTF-8 later raises (a 500). Decoded UTF-8 holds no
    # surrogate, so only a body with a "\u" escape (or given as a str) can.
    if "\\u" in text or not isinstance(raw, bytes):
        _refuse_lone_surrogates(body)
    return body


def _refuse_lone_surrogates(body: Any) -> None:
    """A 400 naming the field whose text (a string or a key, at any depth) holds a
    lone surrogate. The message never repeats the text: it cannot be encoded."""
    pending: list[tuple[Any, str]] = [(body, _BODY)]
    while pending:
        value, where = pending.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                _refuse_surrogate_in(key, "A field name in " + (
                    "the request body" if where == _BODY else where))
                pending.append((item, f"'{key[:60]}'" if value is body else where))
        elif isinstance(value, list):
            pending.extend((item, where) for item in value)
        elif isinstance(value, str):
            _refuse_surrogate_in(value, where)


def _refuse_surrogate_in(text: str, where: str) -> None:
    if text.isascii():
        return
    try:
        text.encode("utf-8")  # in C: a regex over a 2 MiB transcript costs 10 times more
    except UnicodeEncodeError as exc:
        raise BadRequestError(
            f"{where} is not valid Unicode text: it holds \\u{ord(text[exc.start]):04x} "
            f"(character {exc.start + 1}), half of a UTF-16 surrogate pair without the "
            "other half") from exc


def object_body(
    body: Any,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
    where: str = "Request body",
) -> dict[str, Any]:
    """Check a JSON object's keys: every required one present, none unknown."""
    if not isinstance(body, dict):
        raise BadRequestError(f"{where} must be a JSON object")
    required = tuple(required)
    allowed = set(required) | set(optional)
    unknown = sorted(key for key in body if key not in allowed)
    if unknown:
        raise BadRequestError(
            f"{where} has unknown field(s): {', '.join(unknown)[:200]}; "
            f"allowed: {', '.join(sorted(allowed))}")
    missing = [key for key in required if body.get(key) in (None, "")]
    if missing:
        raise BadRequestError(f"{where} is missing required field(s): {', '.join(missing)}")
    return body


def string(value: Any, field: str, *, max_length: int, min_length: int = 1,
           pattern: re.Pattern[str] | None = None, hint: str = "") -> str:
    if not isinstance(value, str):
        raise BadRequestError(f"'{field}' must be a string")
    value = value.strip()
    if len(value) < min_length:
        raise BadRequestError(f"'{field}' must not be empty" if min_length == 1
                              else f"'{field}' must be at least {min_length} characters")
    if len(value) > max_length:
        raise BadRequestError(f"'{field}' must be at most {max_length} characters")
    if pattern is not None and not pattern.match(value):
        raise BadRequestError(f"'{field}' is not valid{': ' + hint if hint else ''}")
    return cast(str, value)


def optional_string(value: Any, field: str, *, max_length: int,
                    pattern: re.Pattern[str] | None = None, hint: str = "") -> str | None:
    """None for a field left out, null or empty ("?subject="); else a string as
    `string` checks it: `[]`, `false` or `0` is a 400, never a filter silently dropped."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return string(value, field, max_length=max_length, pattern=pattern, hint=hint)


def boolean(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequestError(f"'{field}' must be true or false")
    return value


def choice(value: Any, field: str, options: Iterable[str]) -> str:
    options = tuple(options)
    if not isinstance(value, str) or value not in options:
        raise BadRequestError(f"'{field}' must be one of: {', '.join(options)}")
    return value


def email(value: Any, field: str = "email") -> str:
    address = string(value, field, max_length=MAX_EMAIL_LENGTH)
    if not EMAIL_RE.match(address):
        raise BadRequestError(f"'{field}' is not a valid email address")
    return address.lower()


def language(value: Any, field: str) -> str:
    return string(value, field, max_length=16, pattern=LANGUAGE_RE,
                  hint="use a language code such as en, de or pt-BR")


def languages(value: Any, field: str = "languages", max_items: int = 5) -> list[str]:
    if not isinstance(value, list) or not value:
        raise BadRequestError(f"'{field}' must be a non-empty list of language codes")
    if len(value) > max_items:
        raise BadRequestError(f"'{field}' may list at most {max_items} languages")
    codes = [language(item, field) for item in value]
    return list(dict.fromkeys(codes))


def int_param(raw: str | None, field: str, *, default: int, minimum: int, maximum: int) -> int:
    """A whole-number query parameter within [minimum, maximum]."""
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"\d{1,6}", raw):
        raise BadRequestError(f"'{field}' must be a whole number from {minimum} to {maximum}")
    number = int(raw)
    if not minimum <= number <= maximum:
        raise BadRequestError(f"'{field}' must be a whole number from {minimum} to {maximum}")
    return number


def page_size(params: dict[str, Any]) -> int:
    """The `limit` of a list request: 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE if absent."""
    return int_param(params.get("limit"), "limit", default=DEFAULT_PAGE_SIZE, minimum=1,
                     maximum=MAX_PAGE_SIZE)


def bool_param(raw: str | None, field: str) -> bool:
    if raw is None or raw == "":
        return False
    lowered = raw.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise BadRequestError(f"'{field}' must be true or false")


def query_params(params: dict[str, Any] | None, allowed: Iterable[str]) -> dict[str, Any]:
    """Query parameters, refusing unknown ones so a typo is not silently ignored."""
    params = dict(params or {})
    allowed = set(allowed)
    unknown = sorted(key for key in params if key not in allowed)
    if unknown:
        raise BadRequestError(
            f"Unknown query parameter(s): {', '.join(unknown)[:200]}; "
            f"allowed: {', '.join(sorted(allowed)) or 'none'}")
    return params
