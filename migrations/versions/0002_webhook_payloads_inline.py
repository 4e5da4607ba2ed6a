"""webhook payloads stay inline (toast_tuple_target)

A sealed payload is already compressed and encrypted (about 3 kB for a 28 kB pull_request):
TOAST can neither shrink it nor store it more cheaply, and moving it out of line cost each
delivery a second heap insert and index entry. See models.forges.TOAST_INLINE.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-05 02:30:00
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE webhook_deliveries SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE webhook_deliveries RESET (toast_tuple_target)")
