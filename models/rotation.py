"""Re-sealing every encrypted value under the newest key, so older keys can be retired."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from sqlalchemy import Column, LargeBinary, Table, literal, select, update
from sqlalchemy.orm import Session

from models.base import Base, EncryptedText
from models.crypto import Keyring

# Other stores of sealed data (encrypted files) register a function here: (keyring) -> count.
ROTATION_HOOKS: list[Callable[[Keyring], int]] = []

BATCH = 500


def encrypted_columns() -> Iterator[tuple[Table, Column, str]]:
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column, column.type.label


def rotate_columns(session: Session, keyring: Keyring) -> dict[str, int]:
    """Re-seal every value not sealed with the current key. Returns rows changed per column."""
    changed: dict[str, int] = {}
    for table, column, label in encrypted_columns():
        pk = next(iter(table.primary_key.columns))
        raw = Column(column.name, LargeBinary)
        count = 0
        last_id = None
        while True:
            query = select(pk, raw).select_from(table).where(raw.isnot(None)).order_by(pk)
            if last_id is not None:
                query = query.where(pk > last_id)
            rows = session.execute(query.limit(BATCH)).all()
            if not rows:
                break
            for row_id, sealed in rows:
                last_id = row_id
                sealed = bytes(sealed)
                if not keyring.needs_rotation(sealed):
                    continue
                fresh = keyring.reseal(sealed, label)
                session.execute(
                    update(table)
                    .where(pk == row_id)
                    .values({column.name: literal(fresh, LargeBinary)})
                )
                count += 1
            session.flush()
        changed[f"{table.name}.{column.name}"] = count
    return changed


def rotate_everything(session: Session, keyring: Keyring) -> dict[str, int]:
    result = rotate_columns(session, keyring)
    for hook in ROTATION_HOOKS:
        result[hook.__qualname__] = hook(keyring)
    return result
