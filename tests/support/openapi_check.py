"""Checking a request against GitHub's OpenAPI description (method, path, query, JSON body).

The 13 MB description is loaded once per process; ``$ref``s are resolved only for the
operations a test actually exercises, and each body validator is compiled once.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs

GREEDY_PARAMS = {"path", "ref"}  # GitHub lets these contain slashes when they end the path


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    spec: dict[str, Any]
    path_params: dict[str, str]


class OpenAPIDescription:
    def __init__(self, path: Path):
        self.document: dict[str, Any] = json.loads(path.read_text())
        self._routes: list[tuple[re.Pattern[str], str, int]] = []
        for template in self.document["paths"]:
            pattern = "^"
            literal = 0
            for part in re.split(r"(\{[^}]+\})", template):
                if part.startswith("{"):
                    name = part[1:-1]
                    greedy = name in GREEDY_PARAMS and template.endswith(part)
                    pattern += f"(?P<{name.replace('-', '_')}>{'.+' if greedy else '[^/]+'})"
                else:
                    pattern += re.escape(part)
                    literal += len(part)
            self._routes.append((re.compile(pattern + "$"), template, literal))
        self._validators: dict[tuple[str, str], Any] = {}

    def find(self, method: str, path: str) -> Operation | None:
        """The most specific path template matching ``path`` that has ``method``."""
        best: tuple[int, str, dict[str, str]] | None = None
        for regex, template, literal in self._routes:
            match = regex.match(path)
            if (
                match
                and method.lower() in self.document["paths"][template]
                and (best is None or literal > best[0])
            ):
                best = (literal, template, match.groupdict())
        if best is None:
            return None
        template = best[1]
        spec = self.document["paths"][template][method.lower()]
        return Operation(template, method.upper(), spec, best[2])

    def resolve(self, node: Any, seen: tuple[str, ...] = ()) -> Any:
        """Inline ``$ref``s (recursion cut at cycles), turn OpenAPI's ``nullable`` into JSON
        Schema, and drop ``x-`` extension keys (``x-octokit`` and friends)."""
        if isinstance(node, list):
            return [self.resolve(item, seen) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" in node:
            ref = node["$ref"]
            if ref in seen:
                return {}
            target: Any = self.document
            for key in ref.lstrip("#/").split("/"):
                target = target[key]
            return self.resolve(target, (*seen, ref))
        out = {
            k: self.resolve(v, seen)
            for k, v in node.items()
            if not k.startswith("x-") and k not in {"example", "examples"}
        }
        if out.pop("nullable", False):
            if "type" in out:
                out["type"] = [out["type"], "null"]
            elif "enum" in out:
                out["enum"] = [*out["enum"], None]
            else:
                out = {"anyOf": [out, {"type": "null"}]}
        return out

    def parameters(self, op: Operation) -> list[dict[str, Any]]:
        shared = self.document["paths"][op.template].get("parameters", [])
        return [self.resolve(p) for p in [*shared, *op.spec.get("parameters", [])]]

    def body_validator(self, op: Operation) -> Any | None:
        key = (op.method, op.template)
        if key not in self._validators:
            body = self.resolve(op.spec.get("requestBody", {}))
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            self._validators[key] = (
                jsonschema_rs.Draft4Validator(schema) if schema is not None else None
            )
        return self._validators[key]

    def check(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes | None
    ) -> tuple[Operation | None, list[str]]:
        """Return the operation and every way the request departs from the description."""
        op = self.find(method, path)
        if op is None:
            return None, [f"{method} {path}: no such operation in GitHub's REST API"]
        problems: list[str] = []
        params = self.parameters(op)
        declared = {p["name"]: p for p in params if p.get("in") == "query"}
        for name, values in query.items():
            if name not in declared:
                problems.append(f"{method} {op.template}: unknown query parameter {name!r}")
                continue
            problems += _check_scalar(f"query {name}", values[-1], declared[name].get("schema", {}))
        for name, spec in declared.items():
            if spec.get("required") and name not in query:
                problems.append(f"{method} {op.template}: missing query parameter {name!r}")
        for p in params:
            if p.get("in") == "path":
                value = op.path_params.get(p["name"].replace("-", "_"), "")
                problems += _check_scalar(f"path {p['name']}", value, p.get("schema", {}))
        problems += self._check_body(op, body)
        return op, problems

    def _check_body(self, op: Operation, body: bytes | None) -> list[str]:
        request_body = op.spec.get("requestBody")
        if not body:
            if request_body and request_body.get("required"):
                return [f"{op.method} {op.template}: a JSON body is required"]
            return []
        if request_body is None:
            return [f"{op.method} {op.template}: takes no body, got {body[:80]!r}"]
        try:
            instance = json.loads(body)
        except ValueError:
            return [f"{op.method} {op.template}: body is not JSON"]
        validator = self.body_validator(op)
        if validator is None:
            return []
        return [
            f"{op.method} {op.template}: body {e.message}" for e in validator.iter_errors(instance)
        ]


def _check_scalar(label: str, value: str, schema: dict[str, Any]) -> list[str]:
    kind = schema.get("type")
    if kind == "integer" and not re.fullmatch(r"-?\d+", value):
        return [f"{label} must be an integer, got {value!r}"]
    if kind == "boolean" and value not in {"true", "false"}:
        return [f"{label} must be true or false, got {value!r}"]
    if "enum" in schema and value not in [str(v) for v in schema["enum"]]:
        return [f"{label} must be one of {schema['enum']}, got {value!r}"]
    return []


@functools.cache
def github_description(path: str) -> OpenAPIDescription:
    return OpenAPIDescription(Path(path))
