"""Skills tests: a timed review exercise per tag, graded automatically.

Each exercise (``matching/exercises/*.json``) is a code sample with planted defects. The applicant
marks lines with a defect category. A planted defect counts as found when a mark names its line
and its category; every other mark is a false alarm. The score is
``max(0, found - FALSE_ALARM_PENALTY * false_alarms) / planted``; the test passes at the
exercise's ``pass_threshold``. Answers after the time limit (plus a short grace for the network)
are refused: the attempt fails with "time is up".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from models.base import utcnow
from models.reviewers import Evidence, ReviewerProfile, VerificationState

EXERCISE_DIR = Path(__file__).resolve().parent / "exercises"
FALSE_ALARM_PENALTY = 0.5
GRACE = timedelta(seconds=60)
MAX_MARKS = 50
CATEGORIES = (
    "injection",
    "xss",
    "path-traversal",
    "hardcoded-secret",
    "insecure-deserialization",
    "prototype-pollution",
    "race-condition",
    "n-plus-one",
    "quadratic",
    "unbounded-loop",
    "loads-everything",
    "resource-leak",
    "mutable-default",
    "error-handling",
    "naming",
)


class SkillsTestError(ValueError):
    """The attempt or answer cannot be taken; the message says why."""


@dataclass(frozen=True)
class Exercise:
    id: str
    tag: str
    language: str
    title: str
    instructions: str
    time_limit_minutes: int
    pass_threshold: float
    code: tuple[str, ...]
    defects: tuple[tuple[int, str], ...]

    def public(self) -> dict[str, Any]:
        """What the applicant sees: never the planted defects."""
        return {
            "id": self.id,
            "tag": self.tag,
            "language": self.language,
            "title": self.title,
            "instructions": self.instructions,
            "time_limit_minutes": self.time_limit_minutes,
            "code": list(self.code),
            "categories": list(CATEGORIES),
        }


@dataclass(frozen=True)
class Grade:
    planted: int
    found: int
    false_alarms: int
    score: float
    passed: bool
    late: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "planted": self.planted,
            "found": self.found,
            "false_alarms": self.false_alarms,
            "score": self.score,
            "passed": self.passed,
            "late": self.late,
        }


def _load(path: Path) -> Exercise:
    raw = json.loads(path.read_text())
    return Exercise(
        id=raw["id"],
        tag=raw["tag"],
        language=raw["language"],
        title=raw["title"],
        instructions=raw["instructions"],
        time_limit_minutes=int(raw["time_limit_minutes"]),
        pass_threshold=float(raw["pass_threshold"]),
        code=tuple(raw["code"]),
        defects=tuple((int(d["line"]), d["category"]) for d in raw["defects"]),
    )


@lru_cache(maxsize=1)
def exercises() -> dict[str, Exercise]:
    return {ex.id: ex for ex in (_load(p) for p in sorted(EXERCISE_DIR.glob("*.json")))}


def exercises_for(tag: str) -> list[Exercise]:
    """Exercises for a review area, or for a language (its exercises in any area)."""
    return [ex for ex in exercises().values() if tag in (ex.tag, ex.language)]


def parse_marks(exercise: Exercise, raw: list[Any]) -> set[tuple[int, str]]:
    """Validate ``[{"line": n, "category": c}, ...]``; refuse anything malformed, naming it."""
    if not isinstance(raw, list) or len(raw) > MAX_MARKS:
        raise SkillsTestError(f"Send a list of at most {MAX_MARKS} marks.")
    marks: set[tuple[int, str]] = set()
    for item in raw:
        try:
            line, category = int(item["line"]), str(item["category"])
        except (KeyError, TypeError, ValueError):
            raise SkillsTestError("Each mark needs a line number and a category.") from None
        if not 1 <= line <= len(exercise.code):
            raise SkillsTestError(f"Line {line} is not in the exercise (1-{len(exercise.code)}).")
        if category not in CATEGORIES:
            raise SkillsTestError(f"{category!r} is not one of the defect categories.")
        marks.add((line, category))
    return marks


def grade(exercise: Exercise, marks: set[tuple[int, str]], *, late: bool = False) -> Grade:
    planted = set(exercise.defects)
    found = len(planted & marks)
    false_alarms = len(marks - planted)
    score = round(max(0.0, found - FALSE_ALARM_PENALTY * false_alarms) / len(planted), 3)
    passed = not late and score >= exercise.pass_threshold
    return Grade(len(planted), found, false_alarms, 0.0 if late else score, passed, late)


def start_test(session: Session, profile: ReviewerProfile, exercise_id: str) -> Evidence:
    exercise = exercises().get(exercise_id)
    if exercise is None:
        raise SkillsTestError("We could not find that exercise.")
    now = utcnow()
    evidence = Evidence(
        profile_id=profile.id,
        kind="skills_test",
        tag=exercise.tag,
        state=VerificationState.PENDING.value,
        data={
            "exercise_id": exercise.id,
            "language": exercise.language,
            "started_at": now.isoformat(),
            "deadline": (now + timedelta(minutes=exercise.time_limit_minutes)).isoformat(),
        },
    )
    session.add(evidence)
    session.flush()
    return evidence


def submit_test(
    session: Session, profile: ReviewerProfile, evidence_id: int, raw_marks: list[Any]
) -> Grade:
    """Grade an attempt once; a late answer fails. The result is stored on the evidence."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None or evidence.profile_id != profile.id or evidence.kind != "skills_test":
        raise SkillsTestError("We could not find that skills test.")
    if evidence.checked_at is not None:
        raise SkillsTestError("This skills test was already graded.")
    exercise = exercises()[evidence.data["exercise_id"]]
    marks = parse_marks(exercise, raw_marks)
    now = utcnow()
    late = now > datetime.fromisoformat(evidence.data["deadline"]) + GRACE
    result = grade(exercise, marks, late=late)
    evidence.data = {**evidence.data, "submitted_at": now.isoformat(), **result.as_dict()}
    evidence.score = result.score
    evidence.checked_at = now
    evidence.state = (
        VerificationState.VERIFIED if result.passed else VerificationState.REJECTED
    ).value
    return result
