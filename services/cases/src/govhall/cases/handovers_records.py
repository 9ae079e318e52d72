"""跨省通办, what every handover operation shares: who is calling, loading a handover the caller
may see, writing it back (revision checked) with its event in the same transaction, and the
HandoverRecord view. The ID number is kept under cases' FieldCipher and only ever shown masked.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from google.protobuf import json_format

from govhall.cases import store
from govhall.cases.handovers_tables import (
    handover_files,
    handover_messages,
    handover_numbers,
    handover_steps,
    handovers,
)
from govhall.cases.records import aware
from govhall.cases.views import ts
from govhall.cases.vocabulary import WINDOW_CLERK
from govhall.cases.workflow import Deps
from govhall.contracts import cases as contract
from govhall.kit.caller import current_caller, require_service
from govhall.kit.db import UnitOfWork
from govhall.kit.dialect import locked
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.events import make_event
from govhall.kit.ids import new_id
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.common.v1 import common_pb2
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

#: The only principal that may call the partner-facing RPCs (it holds the signing key).
CROSSPROVINCE = "crossprovince"
S = hpb.HandoverState
STATE_ZH = {
    S.HANDOVER_STATE_DRAFT: "待发送",
    S.HANDOVER_STATE_SENDING: "发送中",
    S.HANDOVER_STATE_FORWARDED: "已转办",
    S.HANDOVER_STATE_SUPPLEMENT_REQUESTED: "待补正",
    S.HANDOVER_STATE_SUPPLEMENT_SENDING: "补正发送中",
    S.HANDOVER_STATE_IN_PROGRESS: "办理中",
    S.HANDOVER_STATE_RESULT_RECEIVED: "结果已返回",
    S.HANDOVER_STATE_DELIVERED: "已送达",
    S.HANDOVER_STATE_REJECTED: "已退回",
}
ID_CONTEXT = "handover.applicant.id_number"


def state_name(state: int) -> str:
    return S.Name(state)  # type: ignore[arg-type]


def not_found(handover_id: str) -> DomainError:
    return DomainError(
        "HANDOVER_NOT_FOUND",
        f"handover {handover_id} not found",
        f"跨省通办业务“{handover_id}”不存在",
        ErrorKind.NOT_FOUND,
    )


def wrong_state(en: str, zh: str) -> DomainError:
    return DomainError("HANDOVER_NOT_IN_STATE", en, zh, ErrorKind.WRONG_STATE)


def require_crossprovince() -> None:
    """The partner-facing RPCs: the crossprovince service and nobody else."""
    require_service(CROSSPROVINCE, "跨省通办服务")


def require_clerk() -> common_pb2.CallerIdentity:
    caller = current_caller()
    if caller.kind != common_pb2.CALLER_KIND_STAFF or WINDOW_CLERK not in caller.roles:
        raise DomainError(
            "HANDOVER_WRONG_ACTOR",
            "only a window clerk handles cross-province handovers",
            "仅综合窗口人员可以办理跨省通办",
            ErrorKind.FORBIDDEN,
        )
    return caller


def may_read(row: Any, caller: common_pb2.CallerIdentity) -> bool:
    if caller.kind == common_pb2.CALLER_KIND_SERVICE:
        return caller.subject == CROSSPROVINCE
    if caller.kind == common_pb2.CALLER_KIND_STAFF:
        return bool(caller.site_code) and caller.site_code == row.site_code
    if caller.kind in (common_pb2.CALLER_KIND_PERSON, common_pb2.CALLER_KIND_LEGAL_PERSON):
        return bool(row.applicant_subject) and row.applicant_subject == caller.subject
    return False


@dataclass
class Loaded:
    row: Any
    details: dict[str, Any]


async def load(uow: UnitOfWork, handover_id: str, *, for_update: bool = False) -> Loaded:
    """The handover, if the caller may see it; otherwise HANDOVER_NOT_FOUND (an outsider cannot
    tell another's handover from a missing one)."""
    query = sa.select(handovers).where(handovers.c.id == handover_id)
    if for_update:
        query = locked(uow.conn, query)
    row = (await uow.conn.execute(query)).first() if handover_id else None
    if row is None or not may_read(row, current_caller()):
        raise not_found(handover_id)
    return Loaded(row, json.loads(row.details))


async def save(
    uow: UnitOfWork,
    loaded: Loaded,
    now: dt.datetime,
    action: str = "",
    supplement_seq: int = 0,
    **columns: Any,
) -> None:
    """Write the handover back (revision + 1, checked), with its event when ``action`` names one."""
    row = loaded.row
    values = {"details": dumps(loaded.details), "updated_at": now, "revision": row.revision + 1, **columns}
    done = await uow.conn.execute(
        sa.update(handovers)
        .where(handovers.c.id == row.id, handovers.c.revision == row.revision)
        .values(**values)
    )
    if done.rowcount != 1:
        raise store.changed_error()
    state = values.get("state", row.state)
    if action:
        message = hpb.HandoverChanged(
            handover_id=row.id,
            number=row.number,
            partner_province=row.partner_province,
            state=S.Value(state),
            action=action,
            supplement_seq=supplement_seq,
            applicant_subject=row.applicant_subject,
            site_code=row.site_code,
            revision=values["revision"],
        )
        kind = contract.REGISTRY[contract.HANDOVER_PREFIX + action]
        uow.emit(make_event(kind, message, row.site_code, ordering_key=row.id))


async def seen(uow: UnitOfWork, message_id: str) -> bool:
    """Whether a partner message was acted on already."""
    if not message_id:
        return False
    found = await uow.conn.scalar(
        sa.select(handover_messages.c.message_id).where(handover_messages.c.message_id == message_id)
    )
    return found is not None


async def remember(uow: UnitOfWork, message_id: str, kind: str, subject_id: str, now: dt.datetime) -> None:
    if message_id:
        await uow.conn.execute(
            sa.insert(handover_messages).values(
                message_id=message_id, kind=kind, subject_id=subject_id, at=now
            )
        )


async def next_number(uow: UnitOfWork, site_code: str, day: dt.date) -> str:
    """KS<site code><yyyymmdd><6-digit sequence>: A's number for the applicant to follow."""
    return await store._next_number(uow, handover_numbers, site_code, day, "KS")


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def to_dict(message: Any) -> dict[str, Any]:
    return json_format.MessageToDict(message, preserving_proto_field_name=True)


def window_of(details: dict[str, Any]) -> xp.ReceivingWindow:
    return json_format.ParseDict(details.get("window", {}), xp.ReceivingWindow())


def mask_id(number: str) -> str:
    number = number.strip()
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def file_ref(f: Any) -> hpb.HandoverFileRef:
    return hpb.HandoverFileRef(
        material_code=f.material_code,
        name=f.name,
        file_name=f.file_name,
        media_type=f.media_type,
        sha256=f.sha256,
        size_bytes=f.size,
        file_id=f.id,
    )


async def files_of(
    uow: UnitOfWork, handover_id: str, kinds: tuple[str, ...], seq: int | None = None
) -> list[Any]:
    c = handover_files.c
    query = sa.select(handover_files).where(c.handover_id == handover_id, c.kind.in_(kinds))
    if seq is not None:
        query = query.where(c.supplement_seq == seq)
    return list((await uow.conn.execute(query.order_by(c.added_at, c.id))).all())


async def add_file(
    uow: UnitOfWork, handover_id: str, kind: str, seq: int, file: Any, now: dt.datetime
) -> None:
    await uow.conn.execute(
        sa.insert(handover_files).values(
            id=new_id(),
            handover_id=handover_id,
            kind=kind,
            supplement_seq=seq,
            material_code=file["material_code"],
            name=file["name"],
            file_name=file["file_name"],
            media_type=file["media_type"],
            sha256=file["sha256"],
            size=file["size"],
            added_at=now,
        )
    )


async def view(uow: UnitOfWork, row: Any) -> hpb.HandoverRecord:
    details = json.loads(row.details)
    applicant = details.get("applicant", {})
    files = await files_of(uow, row.id, ("material", "supplement", "result", "licence"))
    steps = (
        await uow.conn.execute(
            sa.select(handover_steps.c.step)
            .where(handover_steps.c.handover_id == row.id)
            .order_by(handover_steps.c.seq)
        )
    ).scalars()
    result = details.get("result")
    state = S.Value(row.state)
    return hpb.HandoverRecord(
        id=row.id,
        number=row.number,
        direction=row.direction,
        partner_province=row.partner_province,
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        state=state,
        state_zh=STATE_ZH.get(state, ""),
        applicant_kind=applicant.get("kind", ""),
        applicant_name=row.applicant_name,
        applicant_id_masked=applicant.get("id_masked", ""),
        applicant_subject=row.applicant_subject,
        window=window_of(details),
        delivery_method=details.get("delivery_method", ""),
        materials=[file_ref(f) for f in files if f.kind in ("material", "supplement")],
        remote_case_number=row.remote_case_number,
        remote_steps=[xp.RemoteStep.FromString(bytes(s)) for s in steps],
        supplement=[json_format.ParseDict(i, xp.SupplementRequest()) for i in details.get("supplement", [])],
        supplement_deadline=details.get("supplement_deadline", ""),
        result_code=-1 if result is None else int(result["code"]),
        result_zh="" if result is None else result.get("zh", ""),
        result_files=[file_ref(f) for f in files if f.kind in ("result", "licence")],
        licence_identifier="" if result is None else result.get("licence_identifier", ""),
        delivered_by=details.get("delivered_by", ""),
        created_at=ts(aware(row.created_at)),
        updated_at=ts(aware(row.updated_at)),
        revision=row.revision,
    )


async def reload_view(deps: Deps, handover_id: str) -> hpb.HandoverRecord:
    async with deps.db.reader() as uow:
        loaded = await load(uow, handover_id)
        return await view(uow, loaded.row)
