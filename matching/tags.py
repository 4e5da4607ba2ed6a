"""Expertise tags: their vocabulary, their spelling, and how SQL asks whether a profile has one.

Tags are lower-case slugs: the review areas (``security``, ``performance``, ``best-practices``),
languages (``python``, ``javascript``, ...) and frameworks (``django``, ``react``, ...).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Text, and_, func, type_coerce
from sqlalchemy.dialects.postgresql import JSONB, array
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


def has_tag(dialect: str, tag: str) -> ColumnElement[Any]:
    column = ReviewerProfile.verified_tags
    if dialect == "postgresql":
        return type_coerce(column, JSONB).has_key(tag)
    # SQLite keeps JSON as text; tags are validated slugs, so the quoted form is unambiguous.
    return func.instr(column, f'"{tag}"') > 0


def has_all(dialect: str, tags: list[str]) -> ColumnElement[Any]:
    column = ReviewerProfile.verified_tags
    if dialect == "postgresql":
        return type_coerce(column, JSONB).contains(tags)
    return and_(*(has_tag(dialect, tag) for tag in tags))


def has_any(dialect: str, tags: list[str]) -> ColumnElement[Any]:
    column = ReviewerProfile.verified_tags
    if dialect == "postgresql":
        return type_coerce(column, JSONB).has_any(array(tags, type_=Text))
    from sqlalchemy import or_

    return or_(*(has_tag(dialect, tag) for tag in tags))
