"""Which pull/merge request a piece of work is about, in a form jobs can carry (JSON)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from models.tickets import SourceKind, Submission


@dataclass(frozen=True)
class Target:
    forge: str  # github | gitlab
    repo: str  # owner/name (GitHub) or path_with_namespace (GitLab)
    number: int  # PR number / MR iid
    installation: int | None = None  # GitHub installation id (external)
    project_id: int | None = None  # GitLab project id

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        return cls(**data)

    @property
    def source(self) -> str:
        return SourceKind.GITHUB_PR.value if self.forge == "github" else SourceKind.GITLAB_MR.value


def target_of(ticket: Submission, installation_external_id: int | None) -> Target:
    return Target(
        forge=ticket.forge or "github",
        repo=ticket.repo_full_name or "",
        number=int(ticket.pr_number or 0),
        installation=installation_external_id,
        project_id=ticket.forge_project_id,
    )
