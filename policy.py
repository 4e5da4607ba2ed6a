"""Who may do what with each object. Views, the API and jobs ask here and nowhere else.

Every rule answers for one user (``None`` is anonymous) and one object. A ticket someone may not
see must look exactly like a ticket that does not exist (views answer 404), so ``can_view_ticket``
is the first check before any other ticket rule.
"""

from __future__ import annotations

from models.offers import Offer, OfferStatus
from models.reviewers import ReviewerProfile
from models.reviews import Attachment, ReviewComment
from models.tickets import Submission, TicketStatus
from models.users import Role, User

REVIEWABLE = {TicketStatus.IN_REVIEW.value}


def is_admin(user: User | None) -> bool:
    return user is not None and user.is_active and user.has_role(Role.ADMIN)


def is_owner(user: User | None, ticket: Submission) -> bool:
    return user is not None and ticket.owner_id is not None and ticket.owner_id == user.id


def is_assigned_reviewer(user: User | None, ticket: Submission) -> bool:
    return user is not None and ticket.reviewer_id is not None and ticket.reviewer_id == user.id


def can_view_ticket(user: User | None, ticket: Submission, open_offer: Offer | None = None) -> bool:
    """The owner, the assigned reviewer, admins, and a reviewer holding an open offer for it."""
    if user is None:
        return False
    if is_admin(user) or is_owner(user, ticket) or is_assigned_reviewer(user, ticket):
        return True
    return (
        open_offer is not None
        and open_offer.reviewer_id == user.id
        and open_offer.submission_id == ticket.id
        and open_offer.status == OfferStatus.OFFERED.value
    )


def can_view_code(user: User | None, ticket: Submission) -> bool:
    """Only after the scan passed: never unscanned code, and not to someone merely offered it."""
    if ticket.scanned_at is None or ticket.status == TicketStatus.REJECTED.value:
        return False
    return is_admin(user) or is_owner(user, ticket) or is_assigned_reviewer(user, ticket)


def can_cancel_ticket(user: User | None, ticket: Submission) -> bool:
    return (is_owner(user, ticket) or is_admin(user)) and ticket.is_open


def can_retry_ticket(user: User | None, ticket: Submission) -> bool:
    return is_owner(user, ticket) or is_admin(user)


def can_comment(user: User | None, ticket: Submission) -> bool:
    """Reviewers comment while reviewing; the developer replies; admins moderate."""
    if not can_view_code(user, ticket):
        return False
    return ticket.status in REVIEWABLE or ticket.status == TicketStatus.COMPLETED.value


def can_edit_comment(user: User | None, comment: ReviewComment) -> bool:
    """The author while they may still comment on the ticket (a reviewer taken off a ticket
    keeps no access through old comments); admins always."""
    if is_admin(user):
        return True
    if user is None or comment.author_id != user.id:
        return False
    return comment.submission is not None and can_comment(user, comment.submission)


def can_resolve_comment(user: User | None, ticket: Submission) -> bool:
    return is_owner(user, ticket) or is_assigned_reviewer(user, ticket) or is_admin(user)


def can_write_feedback(user: User | None, ticket: Submission) -> bool:
    return is_assigned_reviewer(user, ticket) and ticket.status in REVIEWABLE


def can_attach(user: User | None, ticket: Submission) -> bool:
    return is_assigned_reviewer(user, ticket) and ticket.status in REVIEWABLE


def can_download_attachment(user: User | None, ticket: Submission, attachment: Attachment) -> bool:
    return (
        attachment.submission_id == ticket.id
        and attachment.scan_status == "clean"
        and can_view_code(user, ticket)
    )


def can_rate(user: User | None, ticket: Submission) -> bool:
    return is_owner(user, ticket) and ticket.status == TicketStatus.COMPLETED.value


def can_answer_offer(user: User | None, offer: Offer) -> bool:
    return (
        user is not None
        and offer.reviewer_id == user.id
        and offer.status == OfferStatus.OFFERED.value
    )


def can_edit_profile(user: User | None, profile: ReviewerProfile) -> bool:
    return user is not None and (profile.user_id == user.id or is_admin(user))


def can_administer(user: User | None) -> bool:
    return is_admin(user)
