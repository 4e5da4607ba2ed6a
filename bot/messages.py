"""What the bot says on a pull request, in words a developer understands."""

from __future__ import annotations

from models.reviews import Feedback
from models.tickets import Submission

SECTION_TITLES = (
    ("security", "Security vulnerabilities"),
    ("performance", "Performance optimizations"),
    ("best_practices", "Best practices and improvements"),
)


def requested(ticket: Submission, link: str) -> str:
    kinds = ", ".join(ticket.review_types or []) or "general"
    return (
        f"**Vetted audit requested** — ticket `{ticket.ticket_id}` ({kinds}).\n\n"
        f"Status: {link}\n\nThe code at `{(ticket.head_sha or '')[:12]}` is being fetched and "
        "scanned; a verified reviewer will be matched. Comment `/status` any time, "
        "`/cancel` to stop."
    )


def started(ticket: Submission, login: str | None, name: str, mode: str, link: str) -> str:
    who = f"@{login}" if login and mode in ("requested", "invited") else name
    if mode == "fallback":
        return (
            f"**Review started** by {who} (ticket `{ticket.ticket_id}`). The reviewer works in "
            "Vetted's viewer; their comments will be posted here by Vetted on their behalf."
            f"\n\n{link}"
        )
    return f"**Review started** by {who} (ticket `{ticket.ticket_id}`).\n\n{link}"


def completed(ticket: Submission, feedback: Feedback | None, link: str) -> str:
    parts = [f"**Vetted audit completed** — ticket `{ticket.ticket_id}`."]
    if feedback is not None:
        if feedback.overall:
            parts.append(feedback.overall)
        for attr, title in SECTION_TITLES:
            text = getattr(feedback, attr)
            if text:
                parts.append(f"### {title}\n\n{text}")
    parts.append(f"Full review: {link}\n\nRate it with `/rate 1-5 [comment]`.")
    return "\n\n".join(parts)


def rejected(ticket: Submission, link: str) -> str:
    reason = ticket.status_reason or "the code did not pass Vetted's checks"
    return (
        f"**Vetted could not accept this audit request** (ticket `{ticket.ticket_id}`): "
        f"{reason}\n\n"
        f"Fix the problem and comment `/review` to try again. Details: {link}"
    )


def cancelled(ticket: Submission) -> str:
    reason = f": {ticket.status_reason}" if ticket.status_reason else "."
    return f"The Vetted audit `{ticket.ticket_id}` was cancelled{reason}"


def status(ticket: Submission, link: str) -> str:
    text = ticket.status.replace("_", " ")
    reason = f" — {ticket.status_reason}" if ticket.status_reason else ""
    return f"Ticket `{ticket.ticket_id}` is **{text}**{reason}.\n\n{link}"


REFUSED = (
    "Sorry @{login}, only people with write access to this repository can request a Vetted "
    "audit. Ask a maintainer to comment `/review` or add the `vetted` label."
)
NO_TICKET = "There is no Vetted audit for this pull request yet. Comment `/review` to request one."
RATED = "Thanks @{login} — your rating ({score}/5) was recorded for `{ticket}`."
