"""The OWASP-style hostile-input pass: requests built from the app's own URL map and OpenAPI.

Routes added by any room are covered as soon as they are registered: path parameters get
hostile values by converter, forms get every field name found on the site's pages, JSON
operations get wrong types and oversized values for every property of their request schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from flask import Flask

# Fixed files: nothing a request carries reaches them (rq's dashboard is mounted with Redis only).
SKIPPED_ENDPOINTS = ("static", "bootstrap.static", "rq_dashboard.static", "rq_dashboard.favicon")
BIG = "A" * 100_000
TEXT_VALUES = [
    "",
    BIG,
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "' OR 1=1 --",
    "\u202egnp.exe",  # right-to-left override
    "ｓｃｒｉｐｔ\u200b\ufeff",  # fullwidth letters, zero-width space, BOM
    "e\u0301\u0301\u0301" * 50,  # combining marks
    "💥" * 1000,
    "-1",
    "99999999999999999999999999",
    "1e309",
    "NaN",
    "null",
    "x\x00y",
]
PATH_STRING_VALUES = [
    "..",
    "..%2F..%2Fetc%2Fpasswd",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "%E2%80%AEexe",
    "%FF%FE",  # invalid UTF-8
    "A" * 3000,
    "%00",
    "VT-0000-0000",
]
PATH_INT_VALUES = ["0", "1", "99999999999999999999999", "2147483648"]
JSON_VALUES: list[Any] = [
    None,
    True,
    -1,
    2**70,
    1e308,
    "",
    BIG,
    "<script>alert(1)</script>",
    "\u202e",
    [],
    ["x"] * 1000,
    {},
    {"$gt": ""},
    [[[[[[[[[[[]]]]]]]]]]],
]
QUERY_NAMES = (
    "next",
    "page",
    "q",
    "action",
    "actor",
    "object",
    "ip",
    "start",
    "end",
    "state",
    "code",
)
BASE_FIELDS = {"name", "email", "password", "confirm", "csrf_token", "next"}


@dataclass
class Probe:
    method: str
    url: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        body = self.kwargs.get("json", self.kwargs.get("data", ""))
        return f"{self.method} {self.url[:120]} {str(body)[:120]}"


def _paths(app: Flask, rule: Any) -> Iterator[str]:
    if not rule.arguments:
        yield rule.rule
        return
    for index in range(max(len(PATH_STRING_VALUES), len(PATH_INT_VALUES))):
        url = rule.rule
        for name in rule.arguments:
            if name not in rule._converters:
                continue  # given by the rule's defaults, not by the path
            converter = rule._converters[name].__class__.__name__
            values = PATH_INT_VALUES if converter == "IntegerConverter" else PATH_STRING_VALUES
            value = values[index % len(values)]
            url = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, url)
        yield url


def rules(app: Flask) -> list[Any]:
    return [r for r in app.url_map.iter_rules() if r.endpoint not in SKIPPED_ENDPOINTS]


def form_fields(app: Flask, client: Any) -> set[str]:
    """Every input name found on the site's parameterless pages (as the given client sees them)."""
    names = set(BASE_FIELDS)
    for rule in rules(app):
        if "GET" in rule.methods and not rule.arguments and not rule.rule.startswith("/api/"):
            page = client.get(rule.rule)
            if page.mimetype == "text/html":
                names |= set(
                    re.findall(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', page.text)
                )
    return names


def json_properties(app: Flask, client: Any) -> dict[tuple[str, str], set[str]]:
    """(path template, METHOD) -> request body property names, from the OpenAPI document."""
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec.get("components", {}).get("schemas", {})
    found: dict[tuple[str, str], set[str]] = {}
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            if "$ref" in schema:
                schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
            found[(path, method.upper())] = set(schema.get("properties", {}))
    return found


def probes(
    app: Flask, fields: set[str], properties: dict[tuple[str, str], set[str]]
) -> Iterator[Probe]:
    for rule in rules(app):
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        openapi_path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for url in _paths(app, rule):
            for method in methods:
                if method == "GET":
                    yield Probe("GET", url)
                    for value in TEXT_VALUES[:12]:
                        yield Probe("GET", url, {"query_string": {n: value for n in QUERY_NAMES}})
                    yield Probe("GET", url + "?page=%FF%FE&next=%00")
                    continue
                is_api = rule.rule.startswith("/api/")
                if is_api:
                    names = properties.get((openapi_path, method), set()) or {"name"}
                    for value in JSON_VALUES:
                        yield Probe(method, url, {"json": {n: value for n in names}})
                    yield Probe(method, url, {"json": [1, 2, 3]})
                    yield Probe(
                        method, url, {"data": "{not json", "content_type": "application/json"}
                    )
                    yield Probe(
                        method,
                        url,
                        {"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"},
                    )
                    yield Probe(
                        method,
                        url,
                        {"data": b"\x00\xff", "content_type": "application/octet-stream"},
                    )
                else:
                    for value in TEXT_VALUES:
                        yield Probe(method, url, {"data": {n: value for n in fields}})
                    yield Probe(method, url, {"data": {n: [TEXT_VALUES[2]] * 50 for n in fields}})
                    yield Probe(
                        method,
                        url,
                        {"data": "%FF%FE=%00", "content_type": "application/x-www-form-urlencoded"},
                    )
