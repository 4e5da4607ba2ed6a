"""Per-repository settings, read from ``.github/vetted.yml`` / ``.gitlab/vetted.yml`` on the
default branch (never from the PR's branch, which the PR author controls)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from bot.commands import REVIEW_TYPES

DEFAULT_LABELS: dict[str, list[str]] = {
    "vetted": [],
    "vetted:security": ["security"],
    "vetted:performance": ["performance"],
    "vetted:best-practices": ["best-practices"],
}
MAX_CONFIG_BYTES = 64 * 1024


@dataclass(frozen=True)
class RepoConfig:
    labels: dict[str, list[str]] = field(default_factory=lambda: dict(DEFAULT_LABELS))
    commands: bool = True
    default_review_types: tuple[str, ...] = REVIEW_TYPES
    problems: tuple[str, ...] = ()


def parse_config(text: str | None) -> RepoConfig:
    """Defaults for anything missing; a broken file gives the defaults plus the problem."""
    if not text or not text.strip():
        return RepoConfig()
    if len(text) > MAX_CONFIG_BYTES:
        return RepoConfig(problems=("vetted.yml is larger than 64 KiB; using the defaults.",))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return RepoConfig(problems=(f"vetted.yml is not valid YAML ({exc.__class__.__name__}).",))
    if not isinstance(data, dict):
        return RepoConfig(problems=("vetted.yml must be a mapping; using the defaults.",))
    problems: list[str] = []
    labels = _labels(data.get("labels"), problems)
    commands = data.get("commands", True)
    if not isinstance(commands, bool):
        problems.append("`commands` must be true or false.")
        commands = True
    defaults = _types(data.get("review_types", list(REVIEW_TYPES)), problems, "review_types")
    return RepoConfig(labels, commands, tuple(defaults or REVIEW_TYPES), tuple(problems))


def _types(value: Any, problems: list[str], where: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        problems.append(f"`{where}` must be a list of review types.")
        return []
    kept = [v for v in value if v in REVIEW_TYPES]
    if len(kept) != len(value):
        problems.append(f"`{where}`: only {', '.join(REVIEW_TYPES)} are review types.")
    return kept


def _labels(value: Any, problems: list[str]) -> dict[str, list[str]]:
    if value is None:
        return dict(DEFAULT_LABELS)
    if not isinstance(value, dict):
        problems.append("`labels` must map label names to review types.")
        return dict(DEFAULT_LABELS)
    labels: dict[str, list[str]] = {}
    for name, kinds in value.items():
        labels[str(name)] = _types(kinds if kinds is not None else [], problems, f"labels.{name}")
    return labels
