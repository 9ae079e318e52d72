"""Demo letters for all-in-one mode: the demo Q&As (govhall.consult.demo's qa.json) as answered,
published letters on every demo site, and a pending one in 西陵区's office queue for the demo clerk (xl_clerk)
to work. Written straight into consult's database (the writer is a demo person who never signs
in); loaded once: a database that has any demo letter is left as it is. The sites are the
catalogue's demo sites (loaded before), their paths from consult's site copy as a writer's are.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.consult import letter_clock, sites
from govhall.consult import letters_store as ls
from govhall.consult.demo import DemoQuestion, demo_questions
from govhall.consult.letters_tables import letters
from govhall.kit.db import Database
from govhall.kit.ids import new_id

DEMO_WRITER = "demo-citizen"
# One letter still pending in 西陵区's office queue, for the demo clerk (xl_clerk).
PENDING = DemoQuestion("420502", "", "政务服务中心周六开放吗", "西陵区政务服务中心周六上午开放吗？", "")


def department_of(question: DemoQuestion) -> str:
    # A matter code is `<department code>-<4-digit serial>`; no matter: the site's office.
    return question.matter_code.rsplit("-", 1)[0] if question.matter_code else f"{question.site_code}-ZWFW"


async def load_demo_letters(db: Database) -> int:
    """Write the demo letters unless there are some already; returns how many were written."""
    async with db.uow() as uow:
        if await uow.conn.scalar(sa.select(sa.func.count()).where(letters.c.writer_subject == DEMO_WRITER)):
            return 0
        at = ls.now()
        for q in [*demo_questions(), PENDING]:
            site, department, matter, title, question, answer = (
                q.site_code, department_of(q), q.matter_code, q.title, q.content, q.reply
            )  # fmt: skip
            letter_id = new_id()
            number = await ls.next_number(uow, "ZX", site, letter_clock.china_day(at))
            replied = at + dt.timedelta(minutes=1) if answer else None
            await uow.conn.execute(
                sa.insert(letters).values(
                    id=letter_id, number=number, site_code=site, site_path=await sites.path_of(uow, site),
                    department_code=department, matter_code=matter, kind="consultation", title=title,
                    state="replied" if answer else "pending", agrees_to_publish=True, case_number="",
                    reason="", writer_kind="person", writer_subject=DEMO_WRITER, writer_name_enc="",
                    writer_mobile_enc="", query_hash="", handler_subject="", handler_name="示例答复人" if answer else "",
                    revision=3 if answer else 1, due_date=letter_clock.due_date(site, "consultation", at),
                    rating="", reopened=False, public_reply=bool(answer), warning_level="",
                    extension_state="", extension_days=0, extension_reason="", submitted_at=at,
                    replied_at=replied, updated_at=replied or at,
                )
            )  # fmt: skip
            await ls.add_message(uow, letter_id, "writer", "consultation", question, at)
            if answer and replied:
                await ls.add_message(uow, letter_id, "staff", "reply", answer, replied, True, "示例答复人")
        await uow.commit()
    return len(demo_questions()) + 1
