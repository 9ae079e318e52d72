"""纠错: error reports on a matter's guide, filed by a signed-in person or enterprise and decided
by the site admins of the matter's own site.

The matter is asked of the catalogue at the site the guide was viewed from: it must be
published there, and its own site (`Matter.site_code`, maybe an ancestor of the viewed site) is
where the report goes. Its name is kept on the report, so 我的纠错 reads without the catalogue.
A decision is a conditional UPDATE on the revision the admin saw: of two admins deciding at
once, one wins and the other is told 409 with the current state. Each change is published
(consult.error_report.*) in the same transaction, for the inbox to tell the reporter.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from govhall.consult import access
from govhall.consult.error_report_tables import error_report_quota as quota
from govhall.consult.error_report_tables import error_reports as table
from govhall.contracts import consult as contract
from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.dialect import upsert
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.events import make_event
from govhall.kit.ids import new_id
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import error_reports_pb2 as pb
from govhall.protos.consult.v1 import events_pb2

CHINA = ZoneInfo("Asia/Shanghai")
MAX_CONTENT, MAX_ANSWER = 1_000, 1_000
SITE_ADMIN = "site_admin"
# Control and format characters (bidi overrides), lone surrogates; tab and newline are text.
_BAD_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

ELEMENTS = {
    pb.ERROR_ELEMENT_CONDITIONS: "conditions",
    pb.ERROR_ELEMENT_MATERIALS: "materials",
    pb.ERROR_ELEMENT_FEES: "fees",
    pb.ERROR_ELEMENT_TIME_LIMITS: "time_limits",
    pb.ERROR_ELEMENT_PLACES: "places",
    pb.ERROR_ELEMENT_PHONES: "phones",
    pb.ERROR_ELEMENT_OTHER: "other",
}
ELEMENT_OF = {v: k for k, v in ELEMENTS.items()}
STATES = {
    "submitted": pb.ERROR_REPORT_STATE_SUBMITTED,
    "accepted": pb.ERROR_REPORT_STATE_ACCEPTED,
    "refused": pb.ERROR_REPORT_STATE_REFUSED,
}
STATE_OF = {v: k for k, v in STATES.items()}
OWNER_KIND = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}


def text(value: str, field: str, label_zh: str, limit: int) -> str:
    """Required, bounded text (counted in characters, so Chinese counts one per character)."""
    value = (value or "").strip()
    if not value:
        raise invalid("ERROR_REPORT_TEXT_REQUIRED", f"{field} is required", f"请填写{label_zh}", field)
    if len(value) > limit:
        raise invalid(
            "ERROR_REPORT_TEXT_TOO_LONG",
            f"{field} must be at most {limit} characters",
            f"{label_zh}不能超过{limit}个字",
            field,
        )
    if _BAD_CHARS.search(value):
        raise invalid(
            "ERROR_REPORT_TEXT_INVALID",
            f"{field} contains a control character (only tab and newline are allowed)",
            f"{label_zh}含有不可见的控制字符",
            field,
        )
    return value


@dataclass
class ErrorReports:
    db: Database
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    per_day: int

    async def submit(self, request: pb.SubmitErrorReportRequest) -> pb.ErrorReport:
        who = access.owner()
        viewed = access.site_code(request.site_code)
        code = access.matter_code(request.matter_code)
        element = ELEMENTS.get(request.element)
        if element is None:
            raise invalid(
                "ERROR_ELEMENT_INVALID",
                "element is one of conditions, materials, fees, time_limits, places, phones, other",
                "请选择有误的内容：受理条件、申请材料、收费标准、办理时限、办理地点和时间、咨询电话或其他",
                "element",
            )
        content = text(request.content, "content", "纠错内容", MAX_CONTENT)
        matter = await access.published_matter(self.catalogue, viewed, code)
        now = dt.datetime.now(dt.UTC)
        row = {
            "id": new_id(),
            "reporter_kind": who.kind,
            "reporter_subject": who.subject,
            "site_code": matter.site_code or viewed,
            "viewed_site_code": viewed,
            "matter_code": code,
            "matter_name": matter.draft.name[:200],
            "element": element,
            "content": content,
            "state": "submitted",
            "answer": "",
            "decided_by": "",
            "created_at": now,
            "decided_at": None,
            "revision": 1,
        }
        async with self.db.uow() as uow:
            await self._count_today(uow, who, now)
            await uow.conn.execute(sa.insert(table).values(**row))
            uow.emit(_event("submitted", row, ""))
            await uow.commit()
        return report_pb(row)

    async def _count_today(self, uow: Any, who: access.Owner, now: dt.datetime) -> None:
        """Count one more report for the reporter today (China time), or refuse past the limit."""
        q = quota.c
        day = now.astimezone(CHINA).date()
        key = {"reporter_kind": who.kind, "reporter_subject": who.subject, "day": day}
        await uow.conn.execute(upsert(uow, quota, {**key, "filed": 0}, key=list(key), update={}))
        counted = await uow.conn.execute(
            sa.update(quota)
            .where(
                q.reporter_kind == who.kind,
                q.reporter_subject == who.subject,
                q.day == day,
                q.filed < self.per_day,
            )
            .values(filed=q.filed + 1)
        )
        if counted.rowcount != 1:
            raise DomainError(
                "ERROR_REPORTS_DAILY_LIMIT",
                f"at most {self.per_day} error reports a day; try again tomorrow",
                f"每天最多提交{self.per_day}条纠错，请明天再试",
                ErrorKind.TOO_MANY,
            )

    async def mine(self, request: pb.ListMyErrorReportsRequest) -> pb.ListErrorReportsResponse:
        who = access.owner()
        number, size = access.paging(request.page)
        t = table.c
        where = sa.and_(t.reporter_kind == who.kind, t.reporter_subject == who.subject)
        return await self._page(where, [t.created_at.desc(), t.id], number, size)

    async def queue(self, request: pb.ListErrorReportQueueRequest) -> pb.ListErrorReportsResponse:
        site = site_admin_site()
        number, size = access.paging(request.page)
        state = STATE_OF.get(request.state or pb.ERROR_REPORT_STATE_SUBMITTED)
        if state is None:
            raise invalid("ERROR_REPORT_STATE_INVALID", "unknown state", "状态不正确", "state")
        t = table.c
        # The open queue is worked oldest first; decided ones are looked back on newest first.
        order = [t.created_at, t.id] if state == "submitted" else [t.decided_at.desc(), t.id]
        return await self._page(sa.and_(t.site_code == site, t.state == state), order, number, size)

    async def decide(self, request: pb.DecideErrorReportRequest, state: str) -> pb.ErrorReport:
        site = site_admin_site()
        deciding = current_caller().subject
        if state == "accepted":
            answer = text(request.answer, "answer", "处理说明（已修正的内容）", MAX_ANSWER)
        else:
            answer = text(request.answer, "answer", "不予采纳的理由", MAX_ANSWER)
        if request.revision < 1:
            raise invalid(
                "REVISION_REQUIRED",
                "revision (the one the report was read at) is required",
                "请提供读取纠错时的版本号",
                "revision",
            )
        t = table.c
        now = dt.datetime.now(dt.UTC)
        async with self.db.uow() as uow:
            current = await self._one(uow, request.report_id, site)
            if current["revision"] != request.revision:
                raise _changed()
            if current["state"] != "submitted":
                raise DomainError(
                    "ERROR_REPORT_DECIDED",
                    f"this report was already {current['state']}",
                    "该纠错已处理",
                    ErrorKind.WRONG_STATE,
                )
            changed = await uow.conn.execute(
                sa.update(table)
                .where(t.id == current["id"], t.revision == request.revision, t.state == "submitted")
                .values(
                    state=state,
                    answer=answer,
                    decided_by=deciding,
                    decided_at=now,
                    revision=request.revision + 1,
                )
            )
            if changed.rowcount != 1:
                # Another admin's decision landed between our read and our write.
                raise _changed()
            row = {**current, "state": state, "answer": answer, "decided_at": now}
            row["revision"] = request.revision + 1
            uow.emit(_event(state, row, "submitted"))
            await uow.commit()
        return report_pb(row)

    async def _one(self, uow: Any, report_id: str, site: str) -> dict[str, Any]:
        t = table.c
        found = (
            await uow.conn.execute(
                sa.select(table).where(t.id == (report_id or "")[:36], t.site_code == site)
            )
        ).first()
        # Another site's report is as unknown as one that does not exist.
        if found is None:
            raise DomainError(
                "ERROR_REPORT_NOT_FOUND",
                "no such error report at your site",
                "本站点没有此纠错",
                ErrorKind.NOT_FOUND,
            )
        return dict(found._mapping)

    async def _page(
        self, where: Any, order: list[Any], number: int, size: int
    ) -> pb.ListErrorReportsResponse:
        async with self.db.reader() as uow:
            total = (
                await uow.conn.execute(sa.select(sa.func.count()).select_from(table).where(where))
            ).scalar_one()
            rows = await uow.conn.execute(
                sa.select(table).where(where).order_by(*order).limit(size).offset((number - 1) * size)
            )
            reports = [report_pb(dict(r._mapping)) for r in rows]
        return pb.ListErrorReportsResponse(
            reports=reports, page=common_pb2.PageInfo(page=number, page_size=size, total=int(total))
        )


def _changed() -> DomainError:
    return DomainError(
        "ERROR_REPORT_CHANGED",
        "someone else decided or changed this report since it was read; read it again",
        "该纠错已被他人处理，请刷新后重试",
        ErrorKind.CONFLICT,
    )


def site_admin_site() -> str:
    """The site whose reports the caller decides: staff with the site_admin role, at their site."""
    caller = current_caller()
    if caller.kind in (common_pb2.CALLER_KIND_UNSPECIFIED, common_pb2.CALLER_KIND_ANONYMOUS):
        raise DomainError(
            "SIGN_IN_REQUIRED", "sign in as staff first", "请先以工作人员身份登录", ErrorKind.UNAUTHENTICATED
        )
    if caller.kind != common_pb2.CALLER_KIND_STAFF or SITE_ADMIN not in caller.roles or not caller.site_code:
        raise DomainError(
            "SITE_ADMIN_ONLY",
            "only a site administrator handles error reports on guides",
            "仅站点管理员可处理办事指南纠错",
            ErrorKind.FORBIDDEN,
        )
    return str(caller.site_code)


def report_pb(row: dict[str, Any]) -> pb.ErrorReport:
    out = pb.ErrorReport(
        id=row["id"],
        site_code=row["site_code"],
        viewed_site_code=row["viewed_site_code"],
        matter_code=row["matter_code"],
        matter_name=row["matter_name"],
        element=ELEMENT_OF[row["element"]],
        content=row["content"],
        state=STATES[row["state"]],
        answer=row["answer"],
        revision=row["revision"],
    )
    out.created_at.FromDatetime(_utc(row["created_at"]))
    if row["decided_at"] is not None:
        out.decided_at.FromDatetime(_utc(row["decided_at"]))
    return out


def _utc(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _event(action: str, row: dict[str, Any], from_state: str) -> Any:
    message = events_pb2.ErrorReportChanged(
        report_id=row["id"],
        site_code=row["site_code"],
        matter_code=row["matter_code"],
        matter_name=row["matter_name"],
        element=row["element"],
        from_state=from_state,
        state=row["state"],
        action=action,
        reporter=events_pb2.Owner(kind=OWNER_KIND[row["reporter_kind"]], subject=row["reporter_subject"]),
        revision=row["revision"],
    )
    return make_event(contract.error_report(action), message, row["site_code"])
