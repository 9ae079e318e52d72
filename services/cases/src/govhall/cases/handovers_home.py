"""跨省通办, home side (B), the crossprovince service's calls: a handover received from a partner
province becomes a real case of the local matter, submitted, so that staff handle it from the
usual queue (HandleCase); its origin (the sender's window, clerk and number) rides on the case
and on every CaseChanged. A supplement taken at the sender's window resubmits it; the concluded
case's result goes back with its notices as PDFs.

One case per handover: `case_origins` has the unique key (sender, handover_id), so the same
handover delivered twice, even at the same moment, yields the first case."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from dataclasses import replace
from typing import Any

import sqlalchemy as sa

from govhall.cases import commands, store, values, views, vocabulary
from govhall.cases.applying import form_text
from govhall.cases.handovers_records import ID_CONTEXT, remember, require_crossprovince, seen, to_dict
from govhall.cases.handovers_tables import case_origins
from govhall.cases.records import Application, CaseRecord
from govhall.cases.values import Actor, Applicant, ApplicantKind, Step, TimeLimit
from govhall.cases.workflow import Deps, _upstream, full_view, not_found, perform, record
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.files import check_upload
from govhall.kit.ids import new_id
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

#: What a returned file may be (scans and notices).
_TYPES = ("pdf", "ofd", "jpg", "png")


def _applicant_actor(rec: CaseRecord) -> Actor:
    """The case's applicant, on whose behalf the partner's window acted (their consent)."""
    a = rec.case.applicant
    if a.kind is ApplicantKind.LEGAL_PERSON:
        return Actor.agent(a.subject, "", None, a.name)
    return Actor.person(a.subject, a.name)


async def _checked_files(deps: Deps, files: Any, field: str) -> list[dict[str, Any]]:
    """Each file's sha256 checked against its content, its content checked as an upload, and
    stored by hash (before the transaction, as applying.upload_material does)."""
    out = []
    for i, f in enumerate(files):
        if hashlib.sha256(f.content).hexdigest() != f.sha256.lower():
            raise invalid(
                "FILE_HASH_MISMATCH",
                "a material's sha256 does not match its content",
                "材料摘要与内容不符",
                f"{field}[{i}].sha256",
            )
        upload = await asyncio.to_thread(
            check_upload,
            f.file_name,
            f.content,
            _TYPES,
            deps.settings.max_upload_bytes,
            deps.settings.content_limits(),
        )
        await deps.files.aput(f.content)
        out.append(
            {
                "material_code": f.material_code,
                "sha256": f.sha256.lower(),
                "file_name": upload.file_name,
                "media_type": upload.media_type,
                "size": upload.size,
            }
        )
    return out


async def _attach(uow: UnitOfWork, case_id: str, files: list[dict[str, Any]], now: dt.datetime) -> None:
    for f in files:
        await store.add_file(uow, {"id": new_id(), "case_id": case_id, "uploaded_at": now, **f})


async def _existing(uow: UnitOfWork, sender: str, handover_id: str) -> xp.HandoverAccepted | None:
    case_id = await uow.conn.scalar(
        sa.select(case_origins.c.case_id).where(
            case_origins.c.sender == sender, case_origins.c.handover_id == handover_id
        )
    )
    if case_id is None:
        return None
    rec = await store.load(uow, case_id)
    assert rec is not None
    return xp.HandoverAccepted(
        case_id=case_id, case_number=rec.case.case_number or rec.case.application_number
    )


async def receive_handover(deps: Deps, req: hpb.ReceiveHandoverRequest) -> xp.HandoverAccepted:
    require_crossprovince()
    h = req.handover
    sender = req.sender.strip()
    if len(sender) != 6 or not h.handover_id:
        raise invalid(
            "HANDOVER_INVALID", "sender and handover_id are required", "缺少发送省份或业务编号", "handover_id"
        )
    async with deps.db.reader() as uow:
        if (found := await _existing(uow, sender, h.handover_id)) is not None:
            return found
    if not h.consent.given:
        raise invalid(
            "HANDOVER_NO_CONSENT", "the applicant's consent is required", "缺少申请人授权同意", "consent"
        )
    if h.applicant.kind not in ("person", "legal_person") or not h.applicant.name.strip():
        raise invalid("HANDOVER_INVALID", "the applicant is incomplete", "申请人信息不完整", "applicant")
    matter = await _published(deps, h.matter_code)
    files = await _checked_files(deps, h.materials, "materials")
    form_json, sealed = form_text(deps, matter, h.form_json, (), complete=False)
    now = deps.now()
    draft = matter.draft
    kind = ApplicantKind(h.applicant.kind)
    origin = pb.CrossProvinceOrigin(
        province=sender,
        handover_id=h.handover_id,
        origin_number=h.origin_number,
        window=h.window,
        delivery_method=h.delivery_method,
    )
    case = values.new_case(
        case_id=new_id(),
        site_code=matter.site_code,
        department_code=draft.department_code,
        matter_code=matter.code,
        matter_name=draft.name,
        # No account here: the applicant is known by the handover (their account is at the sender).
        applicant=Applicant(kind, f"xp:{sender}:{h.handover_id}"[:64], h.applicant.name.strip()),
        steps=[Step.from_proto(s) for s in draft.steps],
        promised_limit=TimeLimit.from_proto(draft.promised_limit),
        legal_limit=TimeLimit.from_proto(draft.legal_limit),
        now=now,
    )
    rec = CaseRecord(
        case=replace(case, revision=1),
        site_code=matter.site_code,
        matter_site_code=matter.site_code,
        matter_version=matter.version,
        matter_type=int(draft.type),
        department_name=matter.department_name,
        agent_subject="",
        application=Application(form_json, (), None, sealed, to_dict(origin)),
        matter=matter.SerializeToString(),
        warning_level="none",
        due_date=None,
        on_time=None,
        working_days_used=None,
        create_key=None,
        submit_key=None,
        create_fingerprint=None,
        query_hash="",
        query_failures=0,
        query_locked_until=None,
        loaded_revision=0,
    )
    try:
        async with deps.db.uow() as uow:
            await store.insert_case(uow, rec)
            rec = replace(rec, loaded_revision=rec.case.revision)  # as if loaded: submitted next
            await uow.conn.execute(
                sa.insert(case_origins).values(
                    case_id=rec.case.id,
                    sender=sender,
                    handover_id=h.handover_id,
                    sealed_id_number=deps.cipher.encrypt(h.applicant.id_number, ID_CONTEXT),
                )
            )
            await _attach(uow, rec.case.id, files, now)
            number = await store.next_application_number(uow, rec.site_code, views.today_in_china(now))
            transition = perform(rec, commands.Submit(number), _applicant_actor(rec), now)
            rec = await record(deps, uow, rec, transition, now=now)
            await uow.commit()
    except sa.exc.IntegrityError:
        # The same handover raced us: the case the other delivery created is the one.
        async with deps.db.reader() as uow:
            if (found := await _existing(uow, sender, h.handover_id)) is None:
                raise
            return found
    return xp.HandoverAccepted(case_id=rec.case.id, case_number=rec.case.application_number)


async def _published(deps: Deps, matter_code: str) -> cat.Matter:
    """The local matter as the catalogue publishes it (at the site its code names)."""
    matter: cat.Matter = await _upstream(
        deps.catalogue.GetMatter, cat.GetMatterRequest(site_code=matter_code[:6], code=matter_code)
    )
    if matter.status != cat.MATTER_STATUS_PUBLISHED:
        raise DomainError(
            "MATTER_NOT_PUBLISHED",
            "the matter is not published",
            "该事项未发布，暂不能办理",
            ErrorKind.WRONG_STATE,
        )
    return matter


async def _case_of(uow: UnitOfWork, sender: str, handover_id: str) -> CaseRecord:
    case_id = await uow.conn.scalar(
        sa.select(case_origins.c.case_id).where(
            case_origins.c.sender == sender, case_origins.c.handover_id == handover_id
        )
    )
    rec = await store.load(uow, case_id, for_update=True) if case_id else None
    if rec is None:
        raise not_found(handover_id)
    return rec


async def receive_supplement(deps: Deps, req: hpb.ReceiveSupplementRequest) -> pb.Case:
    """补正提交 with what the sender's window took: the files, the corrected form, then resubmit."""
    require_crossprovince()
    s = req.supplement
    files = await _checked_files(deps, s.materials, "supplement.materials")
    now = deps.now()
    async with deps.db.uow() as uow:
        rec = await _case_of(uow, req.sender.strip(), s.handover_id)
        if await seen(uow, req.message_id):
            return await full_view(deps, uow, rec, now)
        if rec.case.state is not vocabulary.CaseState.SUPPLEMENT_REQUESTED:
            raise DomainError(
                "CASE_NOT_IN_STATE",
                "no supplement is open on this case",
                "该办件当前无需补正",
                ErrorKind.WRONG_STATE,
            )
        await remember(uow, req.message_id, "supplement", rec.case.id, now)
        await _attach(uow, rec.case.id, files, now)
        if s.form_json.strip():
            app = rec.application
            form_json, sealed = form_text(
                deps, views.matter_of(rec), s.form_json, app.answers, complete=False, before=app
            )
            rec = replace(rec, application=replace(app, form_json=form_json, sealed=sealed))
        transition = perform(rec, commands.Resubmit(s.note), _applicant_actor(rec), now)
        rec = await record(deps, uow, rec, transition, now=now)
        await uow.commit()
        return await full_view(deps, uow, rec, now)


async def export_result(deps: Deps, req: hpb.ExportResultRequest) -> xp.HandoverResult:
    """The concluded case's result with its notices (决定书 …) as PDFs; the licence, if one is
    issued, is licences' and crossprovince fills it in."""
    require_crossprovince()
    async with deps.db.reader() as uow:
        rec = await store.load(uow, req.case_id) if req.case_id else None
        if rec is None or rec.application.origin is None:
            raise not_found(req.case_id)
        if rec.case.result_code is None:
            raise DomainError(
                "CASE_NOT_CONCLUDED", "the case has no result yet", "办件尚未办结", ErrorKind.WRONG_STATE
            )
        documents = await store.documents(uow, rec.case.id)
    if any(not d.sha256 for d in documents):
        # A notice still being rendered after its commit (notices.finish): asked again later.
        raise DomainError(
            "DOCUMENT_PENDING",
            "a notice is still being issued",
            "文书正在生成，请稍后",
            ErrorKind.WRONG_STATE,
        )
    origin = rec.application.origin
    files = []
    for d in documents:
        content = await deps.files.aget(d.sha256)
        files.append(
            xp.HandoverFile(
                material_code=d.kind,
                name=d.title,
                file_name=f"{d.title}.pdf",
                media_type="application/pdf",
                sha256=d.sha256,
                content=content,
            )
        )
    case = rec.case
    return xp.HandoverResult(
        handover_id=origin.get("handover_id", ""),
        case_number=case.case_number or case.application_number,
        result_code=int(case.result_code),
        result_zh=views.result_zh(case),
        reason=case.result_reason,
        documents=files,
    )
