"""Reading cases: the detail view, stored files and notices, the anonymous status query (办件查询)
and the verification a notice's QR code opens (文书核验)."""

from __future__ import annotations

import datetime as dt
import hmac

from govhall.cases import notices, records, store, views, vocabulary
from govhall.cases.workflow import Deps, actor_for, full_view, query_hash, readable
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.protos.cases.v1 import cases_pb2 as pb

#: Wrong query passwords from one client for one case before that client is locked out of it, and
#: for how long. Counted per case *and* client: case numbers are sequential, so a lock per case
#: alone would let anyone lock any applicant out of their own query.
QUERY_ATTEMPTS = 5
QUERY_LOCK = dt.timedelta(minutes=15)


async def get_case(deps: Deps, req: pb.GetCaseRequest) -> pb.Case:
    actor = await actor_for(deps, read=True)
    async with deps.db.reader() as uow:
        rec, _ = await readable(deps, uow, req.case_id, actor, read=True)
        return await full_view(deps, uow, rec)


async def material_file(deps: Deps, req: pb.GetMaterialFileRequest) -> pb.StoredFile:
    actor = await actor_for(deps, read=True)
    async with deps.db.reader() as uow:
        rec, _ = await readable(deps, uow, req.case_id, actor, read=True)
        row = next((f for f in await store.files(uow, rec.case.id) if f.id == req.file_id), None)
    if row is None:
        raise DomainError(
            "FILE_NOT_FOUND", "no such file on this case", "该办件没有这个文件", ErrorKind.NOT_FOUND
        )
    content = await deps.files.aget(row.sha256)
    return pb.StoredFile(
        file_name=row.file_name, media_type=row.media_type, content=content, sha256=row.sha256
    )


async def document(deps: Deps, req: pb.GetDocumentRequest) -> pb.StoredFile:
    actor = await actor_for(deps, read=True)
    async with deps.db.reader() as uow:
        rec, _ = await readable(deps, uow, req.case_id, actor, read=True)
        row = await store.document(uow, req.document_id)
    if row is None or row.case_id != rec.case.id:
        raise DomainError(
            "DOCUMENT_NOT_FOUND", "no such notice on this case", "该办件没有这份文书", ErrorKind.NOT_FOUND
        )
    row = await notices.ready(deps, row)
    content = await deps.files.aget(row.sha256)
    name = f"{row.title}-{rec.case.case_number or rec.case.application_number or rec.case.id}.pdf"
    return pb.StoredFile(file_name=name, media_type="application/pdf", content=content, sha256=row.sha256)


def _query_failed() -> DomainError:
    # The same answer for an unknown number and a wrong password.
    return DomainError(
        "CASE_QUERY_FAILED",
        "no case with this number and password",
        "办件编号（申报号）或查询密码不正确",
        ErrorKind.NOT_FOUND,
    )


async def query_status(deps: Deps, req: pb.QueryStatusRequest) -> pb.PublicStatus:
    number = req.case_number.strip()
    password = req.query_password.strip()
    if not number or not password:
        raise invalid(
            "CASE_QUERY_INVALID",
            "give the case number (or application number) and the query password",
            "请输入办件编号（或申报号）和查询密码",
        )
    # The gateway passes the client's address; a caller without one shares the "" bucket.
    client = req.client_ip.strip()[:64]
    now = deps.now()
    async with deps.db.uow() as uow:
        rec = await store.load_by_number(uow, number, for_update=True)
        if rec is None:
            raise _query_failed()
        failures, locked_until = await store.query_lock(uow, rec.case.id, client)
        if locked_until and locked_until > now:
            local = locked_until.astimezone(vocabulary.CHINA).strftime("%H:%M")
            raise DomainError(
                "CASE_QUERY_LOCKED",
                "too many wrong passwords for this case from here; try again later",
                f"查询密码错误次数过多，请于{local}后再试",
                ErrorKind.TOO_MANY,
            )
        if not rec.query_hash or not hmac.compare_digest(rec.query_hash, query_hash(rec.case.id, password)):
            failures += 1
            locked = now + QUERY_LOCK if failures >= QUERY_ATTEMPTS else None
            await store.set_query_lock(uow, rec.case.id, client, 0 if locked else failures, locked)
            await uow.commit()
            raise _query_failed()
        if failures or locked_until:
            await store.set_query_lock(uow, rec.case.id, client, 0, None)
            await uow.commit()
    case = rec.case
    reading = views.read(case, now, deps.calendar)
    return pb.PublicStatus(
        case_number=case.case_number,
        application_number=case.application_number,
        matter_name=case.matter_name,
        department_name=rec.department_name,
        state=views.STATE_PB[case.state],
        state_zh=case.state.zh,
        submitted_at=views.ts(case.submitted_at),
        accepted_at=views.ts(case.accepted_at),
        ended_at=views.ts(case.ended_at),
        promised_due=reading.promised.due.isoformat() if reading and reading.promised else "",
        legal_due=reading.legal.due.isoformat() if reading and reading.legal else "",
        current_step_name=records.current_step_name(case),
        result_zh=views.result_zh(case),
    )


async def verify_document(deps: Deps, req: pb.VerifyDocumentRequest) -> pb.DocumentVerification:
    async with deps.db.reader() as uow:
        row = await store.document(uow, req.document_id) if req.document_id else None
        if row is None or not hmac.compare_digest(
            row.verification_code, req.verification_code.strip().upper()
        ):
            return pb.DocumentVerification(valid=False)
        rec = await store.load(uow, row.case_id)
    assert rec is not None
    row = await notices.ready(deps, row)  # its sha256 is what the verifier compares
    return pb.DocumentVerification(
        valid=True,
        title=row.title,
        case_number=rec.case.case_number,
        application_number=rec.case.application_number,
        matter_name=rec.case.matter_name,
        department_name=rec.department_name,
        issued_at=views.ts(records.aware(row.issued_at)),
        sha256=row.sha256,
    )
