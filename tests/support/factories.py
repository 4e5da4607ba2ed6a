"""Creating the objects tests need, through the same code the product uses."""

from __future__ import annotations

from sqlalchemy.orm import Session

from accounts.users import create_user
from models.tickets import SourceKind, Submission
from models.users import User
from reviews.state import create_ticket

PASSWORD = "correct horse battery staple"


def make_user(
    session: Session,
    email: str = "dev@example.com",
    *roles: str,
    password: str = PASSWORD,
    name: str = "",
) -> User:
    return create_user(session, email, password=password, roles=list(roles) or None, name=name)


def make_ticket(session: Session, owner: User | None = None, **fields: object) -> Submission:
    ticket = Submission(
        owner_id=owner.id if owner else None,
        source=str(fields.pop("source", SourceKind.UPLOAD.value)),
        review_types=fields.pop("review_types", ["security"]),
        **fields,
    )
    return create_ticket(session, ticket)
