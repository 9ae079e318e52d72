"""跨省通办, receiving side (A), the crossprovince service's calls: the bodies it signs and sends
(the handover with the ID number in clear and the materials' bytes, a supplement), and what
comes back (the receipt, B's status reports, the result). Every "Record" is idempotent by the
partner message id, and a status report about an older revision of B's case changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import sqlalchemy as sa

from govhall.cases.handovers_records import (
    ID_CONTEXT,
    S,
    add_file,
    files_of,
    load,
    reload_view,
    remember,
    require_crossprovince,
    save,
    seen,
    state_name,
    to_dict,
    window_of,
)
from govhall.cases.handovers_tables import handover_steps
from govhall.cases.workflow import Deps
from govhall.kit.errors import invalid
from govhall.kit.files import check_upload
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

#: B's case state (cases.v1.CaseState, with or without its prefix) → the handover's state.
_BY_REMOTE = {
    "SUBMITTED": S.HANDOVER_STATE_FORWARDED,
    "ACCEPTED": S.HANDOVER_STATE_IN_PROGRESS,
    "UNDER_REVIEW": S.HANDOVER_STATE_IN_PROGRESS,
    "SPECIAL_PROCEDURE": S.HANDOVER_STATE_IN_PROGRESS,
    "SUPPLEMENT_REQUESTED": S.HANDOVER_STATE_SUPPLEMENT_REQUESTED,
    "CONCLUDED_APPROVED": S.HANDOVER_STATE_IN_PROGRESS,  # the result follows in its own message
    "CONCLUDED_DENIED": S.HANDOVER_STATE_IN_PROGRESS,
    "NOT_ACCEPTED": S.HANDOVER_STATE_REJECTED,
    "TERMINATED": S.HANDOVER_STATE_REJECTED,
    "WITHDRAWN": S.HANDOVER_STATE_REJECTED,
}
#: Once the result is back, a late report does not move the handover backwards.
_SETTLED = {state_name(S.HANDOVER_STATE_RESULT_RECEIVED), state_name(S.HANDOVER_STATE_DELIVERED)}


def hfile(row: Any, content: bytes) -> xp.HandoverFile:
    return xp.HandoverFile(
        material_code=row.material_code,
        name=row.name,
        file_name=row.file_name,
        media_type=row.media_type,
        sha256=row.sha256,
        content=content,
    )


async def export_handover(deps: Deps, req: hpb.HandoverRef) -> xp.Handover:
    require_crossprovince()
    async with deps.db.reader() as uow:
        loaded = await load(uow, req.handover_id)
        files = await files_of(uow, loaded.row.id, ("material",))
    row, details = loaded.row, loaded.details
    a = details["applicant"]
    return xp.Handover(
        handover_id=row.id,
        origin_number=row.number,
        matter_code=row.matter_code,
        applicant=xp.HandoverApplicant(
            kind=a["kind"],
            name=row.applicant_name,
            id_type=a["id_type"],
            id_number=deps.cipher.decrypt(row.applicant_id_sealed, ID_CONTEXT),
            mobile=a.get("mobile", ""),
            verified_by=a.get("verified_by", ""),
        ),
        form_json=details.get("form_json", "{}"),
        materials=[hfile(f, await deps.files.aget(f.sha256)) for f in files],
        window=window_of(details),
        consent=xp.Consent(
            given=True, text=details["consent"]["text"], given_at=details["consent"]["given_at"]
        ),
        delivery_method=details.get("delivery_method", ""),
    )


async def export_supplement(deps: Deps, req: hpb.ExportSupplementRequest) -> xp.SupplementSent:
    require_crossprovince()
    async with deps.db.reader() as uow:
        loaded = await load(uow, req.handover_id)
        files = await files_of(uow, loaded.row.id, ("supplement",), req.supplement_seq)
    given = loaded.details.get("supplements", {}).get(str(req.supplement_seq))
    if given is None:
        raise invalid("SUPPLEMENT_NOT_FOUND", "no such supplement", "没有该次补正", "supplement_seq")
    return xp.SupplementSent(
        handover_id=loaded.row.id,
        materials=[hfile(f, await deps.files.aget(f.sha256)) for f in files],
        form_json=given.get("form_json", ""),
        note=given.get("note", ""),
    )


async def record_accepted(deps: Deps, req: hpb.RecordHandoverAcceptedRequest) -> hpb.HandoverRecord:
    require_crossprovince()
    now = deps.now()
    async with deps.db.uow() as uow:
        loaded = await load(uow, req.handover_id, for_update=True)
        if await seen(uow, req.message_id) or loaded.row.state != state_name(S.HANDOVER_STATE_SENDING):
            return await reload_view_in(uow, loaded.row.id)
        await remember(uow, req.message_id, "receipt", loaded.row.id, now)
        if req.status == xp.RECEIPT_STATUS_ACCEPTED:
            await save(
                uow,
                loaded,
                now,
                "forwarded",
                state=state_name(S.HANDOVER_STATE_FORWARDED),
                remote_case_id=req.accepted.case_id,
                remote_case_number=req.accepted.case_number,
            )
        else:
            loaded.details["rejected_reason"] = req.reason[:500]
            await save(uow, loaded, now, "rejected", state=state_name(S.HANDOVER_STATE_REJECTED))
        await uow.commit()
    return await reload_view(deps, req.handover_id)


async def reload_view_in(uow: Any, handover_id: str) -> hpb.HandoverRecord:
    from govhall.cases.handovers_records import view

    loaded = await load(uow, handover_id)
    return await view(uow, loaded.row)


async def record_step(deps: Deps, req: hpb.RecordRemoteStepRequest) -> hpb.HandoverRecord:
    require_crossprovince()
    report = req.report
    step = report.step
    now = deps.now()
    async with deps.db.uow() as uow:
        loaded = await load(uow, report.handover_id, for_update=True)
        row = loaded.row
        if await seen(uow, req.message_id) or step.revision <= row.remote_revision:
            # Delivered again, or overtaken by a newer report: nothing changes.
            return await reload_view_in(uow, row.id)
        await remember(uow, req.message_id, "status", row.id, now)
        seq = await uow.conn.scalar(
            sa.select(sa.func.coalesce(sa.func.max(handover_steps.c.seq), 0)).where(
                handover_steps.c.handover_id == row.id
            )
        )
        await uow.conn.execute(
            sa.insert(handover_steps).values(
                handover_id=row.id,
                seq=int(seq or 0) + 1,
                revision=step.revision,
                step=step.SerializeToString(),
            )
        )
        columns: dict[str, Any] = {"remote_revision": step.revision}
        if report.case_number:
            columns["remote_case_number"] = report.case_number
        target = _BY_REMOTE.get(step.state.removeprefix("CASE_STATE_"))
        if target is not None and row.state not in _SETTLED:
            columns["state"] = state_name(target)
            if target == S.HANDOVER_STATE_SUPPLEMENT_REQUESTED:
                loaded.details["supplement"] = [to_dict(i) for i in step.supplement]
                loaded.details["supplement_deadline"] = step.supplement_deadline
        await save(uow, loaded, now, "remote_step", **columns)
        await uow.commit()
    return await reload_view(deps, report.handover_id)


def _checked_file(deps: Deps, f: xp.HandoverFile, field: str) -> dict[str, Any]:
    if hashlib.sha256(f.content).hexdigest() != f.sha256.lower():
        raise invalid(
            "FILE_HASH_MISMATCH", "the file's sha256 does not match its content", "文件摘要与内容不符", field
        )
    upload = check_upload(
        f.file_name,
        f.content,
        ("pdf", "ofd", "jpg", "png"),
        deps.settings.max_upload_bytes,
        deps.settings.content_limits(),
    )
    return {
        "material_code": f.material_code,
        "name": f.name or f.file_name,
        "file_name": upload.file_name,
        "media_type": upload.media_type,
        "sha256": f.sha256.lower(),
        "size": upload.size,
    }


async def record_result(deps: Deps, req: hpb.RecordHandoverResultRequest) -> hpb.HandoverRecord:
    require_crossprovince()
    result = req.result
    files = [
        (await asyncio.to_thread(_checked_file, deps, d, f"result.documents[{i}]"), "result", d.content)
        for i, d in enumerate(result.documents)
    ]
    if result.licence.HasField("file"):
        files.append(
            (
                _checked_file(deps, result.licence.file, "result.licence.file"),
                "licence",
                result.licence.file.content,
            )
        )
    for _, _, content in files:
        await deps.files.aput(content)
    now = deps.now()
    async with deps.db.uow() as uow:
        loaded = await load(uow, result.handover_id, for_update=True)
        if await seen(uow, req.message_id) or loaded.row.state in _SETTLED:
            return await reload_view_in(uow, loaded.row.id)
        await remember(uow, req.message_id, "result", loaded.row.id, now)
        for file, kind, _ in files:
            await add_file(uow, loaded.row.id, kind, 0, file, now)
        loaded.details["result"] = {
            "code": result.result_code,
            "zh": result.result_zh,
            "reason": result.reason,
            "licence_identifier": result.licence.identifier,
            "licence_number": result.licence.number,
            "licence_type": result.licence.type_name,
        }
        columns: dict[str, Any] = {"state": state_name(S.HANDOVER_STATE_RESULT_RECEIVED)}
        if result.case_number:
            columns["remote_case_number"] = result.case_number
        await save(uow, loaded, now, "result_received", **columns)
        await uow.commit()
    return await reload_view(deps, result.handover_id)
