"""matching.skills: exercises ship as data, are graded automatically, and are timed."""

from __future__ import annotations

from datetime import timedelta

import pytest

from matching.skills import (
    CATEGORIES,
    SkillsTestError,
    exercises,
    exercises_for,
    grade,
    start_test,
    submit_test,
)
from matching.verification import ensure_profile
from tests.support.factories import make_user


def test_there_is_an_exercise_for_each_area_in_python_and_one_in_javascript():
    shipped = {(ex.tag, ex.language) for ex in exercises().values()}
    for area in ("security", "performance", "best-practices"):
        assert (area, "python") in shipped
    assert any(language == "javascript" for _, language in shipped)
    for ex in exercises().values():
        assert all(1 <= line <= len(ex.code) and cat in CATEGORIES for line, cat in ex.defects)


def test_the_applicant_never_sees_the_planted_defects():
    public = exercises()["python-security-1"].public()
    assert "defects" not in public and public["code"]


@pytest.mark.parametrize(
    ("marks", "score", "passed"),
    [
        ({(7, "hardcoded-secret"), (15, "injection"), (21, "path-traversal"),
          (27, "insecure-deserialization")}, 1.0, True),
        ({(7, "hardcoded-secret"), (15, "injection"), (21, "path-traversal")}, 0.75, True),
        ({(15, "injection"), (21, "path-traversal")}, 0.5, False),
        ({(7, "hardcoded-secret"), (15, "injection"), (21, "path-traversal"),
          (2, "injection"), (13, "xss")}, 0.5, False),
        ({(15, "xss")}, 0.0, False),
        (set(), 0.0, False),
    ],
    ids=["all-found", "three-of-four", "half", "false-alarms-count-against",
         "wrong-category", "nothing"],
)  # fmt: skip
def test_grading_counts_found_defects_and_penalises_false_alarms(marks, score, passed):
    result = grade(exercises()["python-security-1"], marks)
    assert (result.score, result.passed) == (score, passed)


def test_exercises_are_offered_by_area_and_by_language():
    assert {ex.id for ex in exercises_for("performance")} == {"python-performance-1"}
    assert "javascript-security-1" in {ex.id for ex in exercises_for("javascript")}


def test_a_timed_attempt_is_graded_once_and_recorded(pg_url, session):
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    evidence = start_test(session, profile, "javascript-security-1")
    planted = [(7, "xss"), (13, "prototype-pollution"), (18, "injection"), (22, "injection")]
    marks = [{"line": line, "category": category} for line, category in planted]
    result = submit_test(session, profile, evidence.id, marks)
    assert result.passed and evidence.score == 1.0 and evidence.state == "verified"
    assert evidence.checked_at is not None and evidence.data["found"] == 4
    with pytest.raises(SkillsTestError, match="already graded"):
        submit_test(session, profile, evidence.id, marks)


def test_a_late_answer_fails(pg_url, session):
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    evidence = start_test(session, profile, "python-performance-1")
    past = (evidence.created_at - timedelta(hours=2)).isoformat()
    evidence.data = {**evidence.data, "deadline": past}
    result = submit_test(session, profile, evidence.id, [{"line": 8, "category": "n-plus-one"}])
    assert result.late and not result.passed and evidence.state == "rejected"


@pytest.mark.parametrize(
    ("marks", "message"),
    [
        ([{"line": 999, "category": "xss"}], "not in the exercise"),
        ([{"line": 3, "category": "vibes"}], "not one of the defect categories"),
        ([{"category": "xss"}], "needs a line number"),
        ("everything", "list of at most"),
    ],
)
def test_malformed_answers_are_refused_and_change_nothing(pg_url, session, marks, message):
    profile = ensure_profile(session, make_user(session, "app@example.com"))
    evidence = start_test(session, profile, "python-best-practices-1")
    with pytest.raises(SkillsTestError, match=message):
        submit_test(session, profile, evidence.id, marks)
    assert evidence.checked_at is None and evidence.state == "pending"
