"""Which languages and frameworks a code tree uses: tags the matcher compares with expertise.

Languages come from file extensions (weighted by bytes, so one stray script does not make a
Go project "perl"), frameworks from the manifests package managers write.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".tsx": "typescript",
    ".java": "java", ".kt": "kotlin", ".kts": "kotlin", ".scala": "scala", ".groovy": "groovy",
    ".go": "go", ".rs": "rust", ".rb": "ruby", ".php": "php",
    ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp",
    ".hh": "cpp", ".cs": "csharp", ".fs": "fsharp", ".swift": "swift", ".m": "objective-c",
    ".dart": "dart", ".ex": "elixir", ".exs": "elixir", ".erl": "erlang", ".hs": "haskell",
    ".clj": "clojure", ".lua": "lua", ".pl": "perl", ".pm": "perl", ".r": "r", ".R": "r",
    ".sh": "shell", ".bash": "shell", ".ps1": "powershell", ".sql": "sql", ".sol": "solidity",
    ".vue": "javascript", ".svelte": "javascript", ".tf": "terraform", ".zig": "zig",
}  # fmt: skip

MANIFEST_LANGUAGES: dict[str, str] = {
    "requirements.txt": "python", "pyproject.toml": "python", "setup.py": "python",
    "Pipfile": "python", "package.json": "javascript", "pom.xml": "java",
    "build.gradle": "java", "build.gradle.kts": "kotlin", "go.mod": "go", "Cargo.toml": "rust",
    "Gemfile": "ruby", "composer.json": "php", "mix.exs": "elixir", "pubspec.yaml": "dart",
    "Package.swift": "swift",
}  # fmt: skip

# dependency name (lower case) -> framework tag
FRAMEWORKS: dict[str, str] = {
    "django": "django", "flask": "flask", "fastapi": "fastapi", "starlette": "starlette",
    "tornado": "tornado", "pyramid": "pyramid", "aiohttp": "aiohttp", "celery": "celery",
    "sqlalchemy": "sqlalchemy", "pandas": "pandas", "numpy": "numpy", "torch": "pytorch",
    "tensorflow": "tensorflow", "react": "react", "next": "nextjs", "vue": "vue", "nuxt": "nuxt",
    "@angular/core": "angular", "svelte": "svelte", "express": "express", "koa": "koa",
    "@nestjs/core": "nestjs", "fastify": "fastify", "electron": "electron",
    "react-native": "react-native", "spring-boot-starter": "spring", "spring-core": "spring",
    "spring-boot": "spring", "quarkus-core": "quarkus", "hibernate-core": "hibernate",
    "github.com/gin-gonic/gin": "gin", "github.com/labstack/echo": "echo",
    "github.com/gofiber/fiber": "fiber", "github.com/gorilla/mux": "gorilla",
    "actix-web": "actix", "rocket": "rocket", "axum": "axum", "tokio": "tokio",
    "rails": "rails", "sinatra": "sinatra", "laravel/framework": "laravel",
    "symfony/symfony": "symfony", "phoenix": "phoenix", "flutter": "flutter",
}  # fmt: skip

SKIP_DIRS = {"node_modules", "vendor", ".git", "dist", "build", "__pycache__", ".venv", "venv"}
MIN_SHARE = 0.05  # a language must hold 5% of the code bytes to be listed


@dataclass
class Detection:
    languages: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)


def language_of(path: str) -> str | None:
    suffix = PurePosixPath(path).suffix
    return EXTENSIONS.get(suffix) or EXTENSIONS.get(suffix.lower())


def _requirement_names(text: str) -> Iterable[str]:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            match = re.match(r"[A-Za-z0-9_.\-]+", line)
            if match:
                yield match.group(0)


def _pyproject_names(text: str) -> Iterable[str]:
    data = tomllib.loads(text)
    for dep in data.get("project", {}).get("dependencies", []):
        yield from _requirement_names(dep)
    yield from data.get("tool", {}).get("poetry", {}).get("dependencies", {}).keys()


def _package_json_names(text: str) -> Iterable[str]:
    data = json.loads(text)
    for section in ("dependencies", "devDependencies", "peerDependencies"):
        yield from (data.get(section) or {}).keys()


def _cargo_names(text: str) -> Iterable[str]:
    data = tomllib.loads(text)
    yield from data.get("dependencies", {}).keys()


def _go_mod_names(text: str) -> Iterable[str]:
    for match in re.finditer(r"^\s*(?:require\s+)?([a-z0-9.\-]+\.[a-z]+/[^\s]+)\s+v", text, re.M):
        yield match.group(1)


def _pom_names(text: str) -> Iterable[str]:
    yield from re.findall(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", text)


def _gemfile_names(text: str) -> Iterable[str]:
    yield from re.findall(r"""^\s*gem\s+['"]([^'"]+)['"]""", text, re.M)


def _composer_names(text: str) -> Iterable[str]:
    yield from (json.loads(text).get("require") or {}).keys()


def _mix_names(text: str) -> Iterable[str]:
    yield from re.findall(r"\{:(\w+),", text)


def _pubspec_names(text: str) -> Iterable[str]:
    yield from re.findall(r"^\s+(flutter):", text, re.M)


PARSERS = {
    "requirements.txt": _requirement_names,
    "pyproject.toml": _pyproject_names,
    "Pipfile": _cargo_names,
    "package.json": _package_json_names,
    "Cargo.toml": _cargo_names,
    "go.mod": _go_mod_names,
    "pom.xml": _pom_names,
    "build.gradle": _pom_names,
    "Gemfile": _gemfile_names,
    "composer.json": _composer_names,
    "mix.exs": _mix_names,
    "pubspec.yaml": _pubspec_names,
}

MAX_MANIFEST_BYTES = 1024 * 1024


def _framework_for(name: str) -> str | None:
    lowered = name.lower()
    if lowered in FRAMEWORKS:
        return FRAMEWORKS[lowered]
    for dep, tag in FRAMEWORKS.items():
        if "/" in dep and lowered.startswith(dep):
            return tag
    return None


def frameworks_in_manifest(filename: str, text: str) -> set[str]:
    parser = PARSERS.get(filename)
    if parser is None:
        return set()
    try:
        names = list(parser(text))
    except (ValueError, tomllib.TOMLDecodeError, AttributeError, TypeError):
        return set()  # a broken manifest is the reviewer's concern, not a reason to fail
    if filename == "build.gradle":
        names = re.findall(r"['\"][\w.\-]+:([\w.\-]+)", text)
    return {tag for name in names if (tag := _framework_for(name))}


def detect(root: Path) -> Detection:
    """Languages by share of code bytes, plus manifest languages and frameworks, sorted."""
    weights: Counter[str] = Counter()
    manifest_languages: set[str] = set()
    frameworks: set[str] = set()
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS for part in rel.parts[:-1]) or not path.is_file():
            continue
        if path.is_symlink():
            continue
        size = path.stat().st_size
        language = language_of(path.name)
        if language:
            weights[language] += max(size, 1)
        if path.name in MANIFEST_LANGUAGES:
            manifest_languages.add(MANIFEST_LANGUAGES[path.name])
            if size <= MAX_MANIFEST_BYTES:
                text = path.read_text("utf-8", errors="replace")
                frameworks |= frameworks_in_manifest(path.name, text)
    total = sum(weights.values())
    languages = {lang for lang, w in weights.items() if total and w / total >= MIN_SHARE}
    return Detection(sorted(languages | manifest_languages), sorted(frameworks))
