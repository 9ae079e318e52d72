"""The handovers this province knows of, by (partner, handover id): on the home side the case a
handover became and the partner's acknowledgement of its result; on the receiving side the
ReturnResult message an Acknowledge names. Written by the inbound handlers, idempotently."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from govhall.crossprovince.store import handover_links
from govhall.kit.db import Database


class Links:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, partner: str, handover_id: str) -> Any | None:
        async with self.db.reader() as uow:
            return (
                await uow.conn.execute(
                    sa.select(handover_links).where(
                        handover_links.c.partner == partner, handover_links.c.handover_id == handover_id
                    )
                )
            ).one_or_none()

    async def put(self, partner: str, handover_id: str, side: str, **values: str) -> None:
        """Create the link or update the given columns (a second writer racing in updates)."""
        now = datetime.now(UTC)
        where = (handover_links.c.partner == partner, handover_links.c.handover_id == handover_id)
        for _ in range(2):
            try:
                async with self.db.uow() as uow:
                    found = await uow.conn.scalar(sa.select(sa.func.count()).where(*where))
                    if found:
                        await uow.conn.execute(
                            sa.update(handover_links).where(*where).values(updated_at=now, **values)
                        )
                    else:
                        row = {
                            "case_id": "",
                            "case_number": "",
                            "result_message_id": "",
                            "acknowledged_message_id": "",
                            "delivered_by": "",
                            **values,
                        }
                        await uow.conn.execute(
                            sa.insert(handover_links).values(
                                partner=partner, handover_id=handover_id, side=side, updated_at=now, **row
                            )
                        )
                    await uow.commit()
                return
            except sa.exc.IntegrityError:
                continue  # inserted meanwhile by the other copy: update it
        raise RuntimeError(f"handover link {partner}/{handover_id} could not be written")
