"""Completing a review: the summary feedback is stored and the ticket moves to ``completed``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.reviews import Feedback
from models.tickets import Submission, TicketStatus
from reviews.state import Actor, transition
from reviews.stats import review_finished

VERDICTS = {
    "approved": "Approved",
    "approved_with_suggestions": "Approved with suggestions",
    "changes_required": "Changes required",
}
MAX_SECTION_CHARS = 20_000
SECTIONS = ("performance", "security", "best_practices", "overall")
SECTION_LABELS = {
    "performance": "Performance optimizations",
    "security": "Security vulnerabilities",
    "best_practices": "Best practices and improvements",
    "overall": "Overall assessment",
}


class ReviewError(ValueError):
    """The review cannot be completed as asked; the message says why, for the reviewer."""


def _clean(sections: dict[str, str], require_all: bool) -> dict[str, str]:
    cleaned = {name: (sections.get(name) or "").strip() for name in SECTIONS}
    for name, text in cleaned.items():
        if len(text) > MAX_SECTION_CHARS:
            raise ReviewError(f"{SECTION_LABELS[name]} is too long (at most 20,000 characters).")
    missing = [SECTION_LABELS[n] for n, text in cleaned.items() if not text]
    if require_all and missing:
        raise ReviewError("Please fill in: " + ", ".join(missing) + ".")
    if not cleaned["overall"] and not any(cleaned.values()):
        raise ReviewError("Please write the summary feedback before completing the review.")
    return cleaned


def feedback_for(session: Session, ticket: Submission) -> Feedback | None:
    return session.scalar(select(Feedback).where(Feedback.submission_id == ticket.id))


def complete_review(
    session: Session,
    ticket: Submission,
    *,
    actor: Actor,
    overall: str,
    security: str = "",
    performance: str = "",
    best_practices: str = "",
    verdict: str | None = None,
    origin: str = "web",
) -> Feedback:
    """Store the summary and complete the ticket, in the caller's transaction.

    From Vetted's own form every section is required. A review submitted in the pull request
    (``origin`` github/gitlab) completes the ticket with whatever sections its body had; the
    reviewer can complete the rest in Vetted afterwards with ``update_feedback``.
    """
    if ticket.status != TicketStatus.IN_REVIEW.value:
        raise ReviewError("Only a review in progress can be completed.")
    if ticket.reviewer_id is None:
        raise ReviewError("This ticket has no assigned reviewer.")
    if verdict is not None and verdict not in VERDICTS:
        raise ReviewError("Please choose an overall verdict.")
    if origin == "web" and verdict is None:
        raise ReviewError("Please choose an overall verdict.")
    sections = _clean(
        {
            "overall": overall,
            "security": security,
            "performance": performance,
            "best_practices": best_practices,
        },
        require_all=origin == "web",
    )
    feedback = feedback_for(session, ticket) or Feedback(submission_id=ticket.id)
    feedback.author_id = ticket.reviewer_id
    for name, text in sections.items():
        setattr(feedback, name, text or None)
    feedback.verdict = verdict
    session.add(feedback)
    transition(session, ticket, TicketStatus.COMPLETED, actor=actor, origin=origin)
    review_finished(session, ticket.reviewer_id)
    return feedback


def update_feedback(session: Session, ticket: Submission, **sections: str) -> Feedback:
    """Fill in or correct the summary of a completed review (its reviewer only: see policy)."""
    if ticket.status != TicketStatus.COMPLETED.value:
        raise ReviewError("Feedback can be edited here once the review is completed.")
    feedback = feedback_for(session, ticket) or Feedback(submission_id=ticket.id)
    verdict = sections.pop("verdict", None)
    current = {name: getattr(feedback, name) or "" for name in SECTIONS}
    cleaned = _clean({**current, **sections}, require_all=False)
    for name, text in cleaned.items():
        setattr(feedback, name, text or None)
    if verdict is not None:
        if verdict not in VERDICTS:
            raise ReviewError("Please choose an overall verdict.")
        feedback.verdict = verdict
    session.add(feedback)
    return feedback
