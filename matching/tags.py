"""Expertise tags: their vocabulary, their spelling, and how SQL asks whether a profile has one.

Tags are lower-case slugs: the review areas (``security``, ``performance``, ``best-practices``),
languages (``python``, ``javascript``, ...) and frameworks (``django``, ``react``, ...).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import and_, func, or_, type_coerce
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement

from models.reviewers import REVIEW_TYPES, ReviewerProfile

TAG_RE = re.compile(r"^[a-z0-9][a-z0-9+#.\-]{0,39}$")
LANGUAGES = (
    "python", "javascript", "typescript", "go", "rust", "java", "kotlin", "ruby", "php",
    "c", "c++", "c#", "swift", "scala", "elixir", "sql", "shell",
)  # fmt: skip
FRAMEWORKS = (
    "django", "flask", "fastapi", "react", "vue", "angular", "node", "express", "spring",
    "rails", "laravel", "nextjs", "svelte", "dotnet",
)  # fmt: skip
KNOWN_TAGS = (*REVIEW_TYPES, *LANGUAGES, *FRAMEWORKS)


class TagError(ValueError):
    """A tag that is not a valid slug; the message names it."""


def normalise_tag(raw: str) -> str:
    tag = raw.strip().lower().replace("_", "-").replace(" ", "-")
    if tag in {"best-practice", "bestpractices"}:
        tag = "best-practices"
    if not TAG_RE.match(tag):
        raise TagError(f"{raw!r} is not a valid expertise tag (letters, digits, + # . - only).")
    return tag


def parse_tags(text: str | list[str]) -> list[str]:
    """Comma/space separated text or a list, normalised, de-duplicated, in the given order."""
    items = text if isinstance(text, list) else re.split(r"[,\s]+", text)
    seen: list[str] = []
    for item in items:
        if item.strip():
            tag = normalise_tag(item)
            if tag not in seen:
                seen.append(tag)
    return seen


def stack_tags(languages: list[str] | None, frameworks: list[str] | None) -> list[str]:
    """A ticket's detected languages and frameworks as tags (unknown spellings are skipped)."""
    tags: list[str] = []
    for raw in [*(languages or []), *(frameworks or [])]:
        try:
            tag = normalise_tag(str(raw))
        except TagError:
            continue
        if tag not in tags:
            tags.append(tag)
    return tags


def sql_tag_value(dialect: str, tag: str) -> str:
    """How a tag is bound for ``has_tag``: SQLite searches the JSON text for the quoted tag."""
    return tag if dialect == "postgresql" else f'"{tag}"'


def has_tag(
    dialect: str, tag: Any, column: Any = ReviewerProfile.verified_tags
) -> ColumnElement[Any]:
    """``tag`` is a bound parameter holding ``sql_tag_value(dialect, tag)``."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB).has_key(tag)
    # SQLite keeps JSON as text; tags are validated slugs, so the quoted form is unambiguous.
    return func.instr(column, tag) > 0


def has_all(
    dialect: str, tags: list[Any], column: Any = ReviewerProfile.verified_tags
) -> ColumnElement[Any]:
    """PostgreSQL: ``tags`` is one JSONB parameter (GIN ``@>``); SQLite: one parameter per tag."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains(tags[0])
    return and_(*(has_tag(dialect, tag, column) for tag in tags))


def has_any(
    dialect: str, tags: list[Any], column: Any = ReviewerProfile.verified_tags
) -> ColumnElement[Any]:
    """PostgreSQL: ``tags`` is one text-array parameter (GIN ``?|``); SQLite: one per tag."""
    if dialect == "postgresql":
        return type_coerce(column, JSONB).has_any(tags[0])
    return or_(*(has_tag(dialect, tag, column) for tag in tags))
