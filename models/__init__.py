"""The data model. Importing this package registers every table on ``Base.metadata``."""

from models.audit import AuditEvent, IpBlock
from models.base import Base, EncryptedText, utcnow
from models.forges import ForgeCheck, GitHubAppCredentials, Installation, WebhookDelivery
from models.notifications import EmailDelivery, Notification, NotificationPreference
from models.offers import Offer, OfferStatus
from models.outbox import Outbox, OutboxStatus
from models.reviewers import (
    REVIEW_TYPES,
    Evidence,
    ExpertiseVerification,
    ReviewerProfile,
    VerificationState,
)
from models.reviews import Attachment, Feedback, Rating, ReviewComment
from models.tickets import SourceKind, Submission, TicketStatus, new_ticket_id
from models.users import ApiToken, Role, User

__all__ = [
    "REVIEW_TYPES",
    "ApiToken",
    "Attachment",
    "AuditEvent",
    "Base",
    "EmailDelivery",
    "EncryptedText",
    "Evidence",
    "ExpertiseVerification",
    "Feedback",
    "ForgeCheck",
    "GitHubAppCredentials",
    "Installation",
    "IpBlock",
    "Notification",
    "NotificationPreference",
    "Offer",
    "OfferStatus",
    "Outbox",
    "OutboxStatus",
    "Rating",
    "ReviewComment",
    "ReviewerProfile",
    "Role",
    "SourceKind",
    "Submission",
    "TicketStatus",
    "User",
    "VerificationState",
    "WebhookDelivery",
    "new_ticket_id",
    "utcnow",
]
