"""Demo letters for all-in-one mode: a few answered, published questions (咨询公开) on the demo
province's Yichang sites, and a pending one in 西陵区's office queue for the demo clerk (xl_clerk)
to work. Written straight into consult's database (the writer is a demo person who never signs
in); loaded once: a database that has any demo letter is left as it is.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.consult import letter_clock
from govhall.consult import letters_store as ls
from govhall.consult.letters_tables import letters
from govhall.kit.db import Database
from govhall.kit.ids import new_id

DEMO_WRITER = "demo-citizen"
PATHS = {"420000": "/420000/", "420500": "/420000/420500/", "420502": "/420000/420500/420502/"}
# site, department, matter, title, question, answer ("" = still pending in the queue)
DEMO_LETTERS = [
    (
        "420502",
        "420502-SCJGJ",
        "420502-SCJGJ-0001",
        "食品经营许可需要现场核查吗",
        "开一家小餐馆，申请食品经营许可需要现场核查吗？",
        "需要。受理后5个工作日内安排现场核查，请保持经营场所与申请一致。",
    ),
    (
        "420502",
        "420502-SCJGJ",
        "420502-SCJGJ-0002",
        "个体工商户可以网上登记吗",
        "个体工商户设立登记能全程网上办吗？",
        "可以。通过本网站在线申报，营业执照可选择邮寄或窗口领取。",
    ),
    ("420502", "420502-ZWFW", "", "政务服务中心周六开放吗", "西陵区政务服务中心周六上午开放吗？", ""),
    (
        "420500",
        "420500-GJJ",
        "420500-GJJ-0001",
        "退休提取公积金要带什么",
        "退休后提取住房公积金需要带哪些材料？",
        "本人身份证和退休证明即可，也可在网上申请。",
    ),
    (
        "420500",
        "420500-WJW",
        "420500-WJW-0001",
        "医师执业注册多久办好",
        "医师执业注册一般多久可以办好？",
        "材料齐全的，承诺10个工作日内办结。",
    ),
    (
        "420000",
        "420000-YJJ",
        "420000-YJJ-0001",
        "药品批发许可在哪里申请",
        "药品批发企业经营许可向哪个部门申请？",
        "向省药品监督管理局申请，可通过本网站在线提交。",
    ),
]


async def load_demo_letters(db: Database) -> int:
    """Write the demo letters unless there are some already; returns how many were written."""
    async with db.uow() as uow:
        if await uow.conn.scalar(sa.select(sa.func.count()).where(letters.c.writer_subject == DEMO_WRITER)):
            return 0
        at = ls.now()
        for site, department, matter, title, question, answer in DEMO_LETTERS:
            letter_id = new_id()
            number = await ls.next_number(uow, "ZX", site, letter_clock.china_day(at))
            replied = at + dt.timedelta(minutes=1) if answer else None
            await uow.conn.execute(
                sa.insert(letters).values(
                    id=letter_id, number=number, site_code=site, site_path=PATHS[site],
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
    return len(DEMO_LETTERS)
