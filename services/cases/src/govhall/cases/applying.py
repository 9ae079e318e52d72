"""The applicant's side: drafts (待提交) and their changes (during 补正 too), materials, my cases.
Submitting, resubmitting and withdrawing are in submitting.py.

A draft copies the matter's published version onto itself when it is created, so the form,
materials and process the applicant sees are the ones the case is handled by, whatever the
catalogue publishes later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from govhall.cases import forms, personal, store, supplements, tables, values, views, vocabulary
from govhall.cases.records import Application, CaseRecord, aware
from govhall.cases.rules import check_may_apply
from govhall.cases.values import Actor, ActorKind, Applicant, Step, TimeLimit
from govhall.cases.vocabulary import CaseState
from govhall.cases.workflow import (
    Deps,
    _upstream,
    actor_for,
    check_revision,
    full_view,
    published_matter,
    readable,
    require_real_name,
)
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid
from govhall.kit.files import DEFAULT_ACCEPTED, Upload, check_upload
from govhall.kit.ids import new_id
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2

MAX_KEY = 64
PAGE_SIZE, MAX_PAGE_SIZE = 20, 100


def applicant(actor: Actor, *, changes: bool = True) -> Actor:
    """The actor, if it is an applicant; one that `changes` something needs the apply scope too
    when it is an agent (an authorisation to follow cases only reads)."""
    if actor.kind is not ActorKind.APPLICANT:
        raise DomainError(
            "CASE_WRONG_ACTOR",
            "only applicants file applications",
            "仅申请人可以申报办件",
            ErrorKind.FORBIDDEN,
        )
    if changes:
        check_may_apply(actor)
    return actor


def idempotency_key(value: str, field: str) -> str | None:
    value = value.strip()
    if len(value) > MAX_KEY:
        raise invalid(
            "IDEMPOTENCY_KEY_INVALID", f"{field} has at most {MAX_KEY} characters", "幂等键过长", field
        )
    return value or None


def key_reused(field: str) -> DomainError:
    return DomainError(
        "IDEMPOTENCY_KEY_REUSED",
        "this idempotency key was already used for another request; use a new key for a new request",
        "该幂等键已用于另一请求，新的请求请使用新的幂等键",
        ErrorKind.UNPROCESSABLE,
        [FieldError(field, "already used for another request", "已用于另一请求")],
    )


def _fingerprint(req: pb.CreateDraftRequest) -> str:
    """What a retry must repeat: the request without its key."""
    body = pb.CreateDraftRequest()
    body.CopyFrom(req)
    body.idempotency_key = ""
    return hashlib.sha256(body.SerializeToString(deterministic=True)).hexdigest()


def _answers(req_answers: Any) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((a.situation_code, tuple(a.option_codes)) for a in req_answers)


def _not_draft(case_id: str) -> DomainError:
    return DomainError(
        "CASE_NOT_IN_STATE",
        "only a draft can be changed this way",
        "只有待提交的办件可以修改",
        ErrorKind.WRONG_STATE,
    )


async def _delivery(deps: Deps, actor: Actor, d: pb.Delivery) -> dict[str, str] | None:
    """The delivery choice, with a copy of a mailing address taken from identity now (an address
    edited later does not change where this case's result goes)."""
    if d.method == pb.DELIVERY_METHOD_UNSPECIFIED:
        return None
    if d.method == pb.DELIVERY_METHOD_PICK_UP:
        return {"method": "DELIVERY_METHOD_PICK_UP"}
    owner = actor.agent_subject or actor.subject
    found: identity_pb2.ListAddressesResponse = await _upstream(
        deps.identity.ListAddresses, identity_pb2.ListAddressesRequest(owner_id=owner)
    )
    address = next((a for a in found.addresses if a.id == d.address_id), None)
    if address is None:
        raise invalid(
            "DELIVERY_ADDRESS_NOT_FOUND",
            "mail delivery needs one of your saved addresses",
            "请选择一个已保存的收件地址",
            "delivery.address_id",
        )
    mobile = address.mobile
    return {
        "method": "DELIVERY_METHOD_MAIL",
        "address_id": address.id,
        "recipient": address.recipient,
        "mobile": mobile,
        "mobile_masked": f"{mobile[:3]}****{mobile[-4:]}" if len(mobile) >= 7 else mobile,
        "address_text": f"{address.province_name}{address.city_name}{address.county_name}{address.detail}",
    }


def form_text(
    deps: Deps,
    matter: cat.Matter,
    form_json: str,
    answers: Any,
    *,
    complete: bool,
    before: Application | None = None,
) -> tuple[str, personal.Sealed]:
    """The checked form to store, its personal numbers masked, and those numbers encrypted.
    ``before``: the application as stored, whose numbers stand where the client sends their masks."""
    draft = matter.draft
    hidden = forms.hidden_sections(draft.form_schema, draft.situations, answers)
    shown = forms.shown_sections(draft.situations, answers)
    known = personal.unseal(before.sealed, deps.cipher) if before else {}
    cleaned = forms.validate_form(
        draft.form_schema, form_json or "{}", hidden=hidden, shown=shown, complete=complete, known=known
    )
    masked, sealed = personal.seal(forms.schema_of(draft.form_schema), cleaned, deps.cipher)
    return json.dumps(masked, ensure_ascii=False, separators=(",", ":")), sealed


async def create_draft(deps: Deps, req: pb.CreateDraftRequest) -> pb.Case:
    actor = applicant(await actor_for(deps))
    key = idempotency_key(req.idempotency_key, "idempotency_key")
    fingerprint = _fingerprint(req)

    async def retried(uow: UnitOfWork) -> pb.Case | None:
        existing = await store.find_by_create_key(uow, actor.subject, key) if key else None
        if existing is None:
            return None
        if existing.create_fingerprint not in (None, fingerprint):
            raise key_reused("idempotency_key")
        return await full_view(deps, uow, existing)

    # Reads only (no BEGIN and ROLLBACK round trips on PostgreSQL): a retry, or nothing.
    async with deps.db.reader(transaction=False) as uow:
        if (view := await retried(uow)) is not None:
            return view
    # Refused before the applicant fills in a form; submit checks again.
    await require_real_name(deps, req.matter_code)
    matter = await published_matter(deps, req.site_code, req.matter_code)
    draft = matter.draft
    answers = _answers(req.situation_answers)
    forms.check_answers(draft.situations, answers)
    form_json, sealed = form_text(deps, matter, req.form_json, answers, complete=False)
    delivery = await _delivery(deps, actor, req.delivery)
    now = deps.now()
    case = values.new_case(
        case_id=new_id(),
        site_code=req.site_code,
        department_code=draft.department_code,
        matter_code=matter.code,
        matter_name=draft.name,
        applicant=Applicant(actor.applicant_kind or values.ApplicantKind.PERSON, actor.subject, actor.name),
        steps=[Step.from_proto(s) for s in draft.steps],
        promised_limit=TimeLimit.from_proto(draft.promised_limit),
        legal_limit=TimeLimit.from_proto(draft.legal_limit),
        now=now,
    )
    # Revisions start at 1, so that "0" can mean "don't check" (expected_revision, If-Match).
    case = replace(case, revision=1)
    rec = CaseRecord(
        case=case,
        site_code=req.site_code,
        matter_site_code=matter.site_code,
        matter_version=matter.version,
        matter_type=int(draft.type),
        department_name=matter.department_name,
        agent_subject=actor.agent_subject,
        application=Application(form_json, answers, delivery, sealed),
        matter=matter.SerializeToString(),
        warning_level="none",
        due_date=None,
        on_time=None,
        working_days_used=None,
        create_key=key,
        submit_key=None,
        create_fingerprint=fingerprint if key else None,
        query_hash="",
        query_failures=0,
        query_locked_until=None,
        loaded_revision=0,
    )
    try:
        async with deps.db.uow() as uow:
            await store.insert_case(uow, rec)
            await uow.commit()
    except sa.exc.IntegrityError:
        # The same key raced us: the other request's draft is the one.
        if key is None:
            raise
        async with deps.db.reader() as uow:
            if (view := await retried(uow)) is None:
                raise
            return view
    # A new draft has no flow, files, licences or documents yet: its view needs no reads (they
    # were a connection and five round trips more on every draft).
    return views.case_message(rec, now=now, calendar=deps.calendar)


async def _own_draft(
    deps: Deps,
    uow: UnitOfWork,
    case_id: str,
    actor: Actor,
    *,
    states: frozenset[CaseState],
    for_update: bool = True,
) -> CaseRecord:
    rec, actor = await readable(deps, uow, case_id, actor, for_update=for_update)
    if actor.kind is not ActorKind.APPLICANT:
        raise DomainError(
            "CASE_WRONG_ACTOR", "only the applicant may do this", "仅申请人可以操作", ErrorKind.FORBIDDEN
        )
    if rec.case.state not in states:
        raise _not_draft(case_id)
    return rec


def _touched(rec: CaseRecord, now: dt.datetime, **changes: Any) -> CaseRecord:
    case = replace(rec.case, revision=rec.case.revision + 1, updated_at=now)
    return replace(rec, case=case, **changes)


async def update_draft(deps: Deps, req: pb.UpdateDraftRequest) -> pb.Case:
    actor = applicant(await actor_for(deps))
    now = deps.now()
    delivery = await _delivery(deps, actor, req.delivery) if req.set_delivery else None
    async with deps.db.uow() as uow:
        rec = await _own_draft(deps, uow, req.case_id, actor, states=EDIT_STATES)
        check_revision(rec, req.expected_revision)
        matter = views.matter_of(rec)
        app = rec.application
        notice = rec.case.supplement
        if notice is not None and (req.set_situation_answers or req.set_delivery):
            raise DomainError(
                "CASE_FIELD_NOT_IN_SUPPLEMENT",
                "while a supplement is open only the form fields its notice names can be changed",
                "补正期间只能修改补正告知书列明的表单字段",
                ErrorKind.WRONG_STATE,
            )
        if req.set_situation_answers:
            answers = _answers(req.situation_answers)
            forms.check_answers(matter.draft.situations, answers)
            app = replace(app, answers=answers)
        if req.set_form or req.set_situation_answers:
            form_json = req.form_json if req.set_form else app.form_json
            form_json, sealed = form_text(deps, matter, form_json, app.answers, complete=False, before=app)
            edited = replace(app, form_json=form_json, sealed=sealed)
            if notice is not None:
                supplements.check_form_edit(
                    notice,
                    personal.comparable(app.form_json, app.sealed),
                    personal.comparable(edited.form_json, edited.sealed),
                )
            app = edited
        if req.set_delivery:
            app = replace(app, delivery=delivery)
        rec = _touched(rec, now, application=app)
        await store.update_case(uow, rec)
        # The reply's view is read in the write's own transaction: after the commit it took a new
        # one (BEGIN and ROLLBACK more; on SQLite the write lock again) for four reads.
        view = await full_view(deps, uow, rec, now)
        await uow.commit()
        return view


UPLOAD_STATES = frozenset({CaseState.DRAFT, CaseState.SUPPLEMENT_REQUESTED})
#: A draft, and during 补正 the fields the notice names.
EDIT_STATES = UPLOAD_STATES


async def upload_material(deps: Deps, req: pb.UploadMaterialRequest) -> pb.Case:
    actor = applicant(await actor_for(deps))
    now = deps.now()
    # The file is checked and stored before the write transaction, not inside it: parsing a
    # large PDF or OFD and writing it (with its fsyncs) take a while, and on SQLite the write
    # lock, database-wide, would be held all along. The checks are made again under the row
    # lock; a file stored for an upload then refused is content-addressed and harmless.
    # The case alone (one statement, no BEGIN, no ROLLBACK): the files per material are counted
    # under the row lock, where it counts, and not here too (a round trip on every upload).
    async with deps.db.reader(transaction=False) as uow:
        need = await _upload_need(deps, uow, req, actor, for_update=False, count_files=False)
    # Off the event loop: parsing a PDF or a large OFD package takes a while.
    upload = await asyncio.to_thread(
        check_upload,
        req.file_name,
        req.content,
        need.accepted_types or DEFAULT_ACCEPTED,
        deps.settings.max_upload_bytes,
        deps.settings.content_limits(),
    )
    return await attach_checked(deps, req, actor, upload, req.content, now)


async def attach_checked(
    deps: Deps,
    req: pb.UploadMaterialRequest | pb.AttachMaterialFromRequest,
    actor: Actor,
    upload: Upload,
    content: bytes,
    now: dt.datetime,
) -> pb.Case:
    """Store `content` (checked already as `upload`) and attach it to the request's material:
    the file is written before the transaction (content-addressed, marked as cases'), the case
    and the material are checked again under the row lock. For an upload and for a file taken
    from the drive or an earlier case (sources.py) alike."""
    digest = await deps.files.aput(content)
    async with deps.db.uow() as uow:
        rec = await _own_draft(deps, uow, req.case_id, actor, states=UPLOAD_STATES)
        attached: list[Any] = []
        await _upload_need(deps, uow, req, actor, rec=rec, attached=attached)
        row = {
            "id": new_id(),
            "case_id": rec.case.id,
            "material_code": req.material_code,
            "sha256": digest,
            "file_name": upload.file_name,
            "media_type": upload.media_type,
            "size": upload.size,
            "uploaded_at": now,
        }
        rec = _touched(rec, now)
        await store.attach_file(uow, rec, row)
        # The case's files are those just read under the row lock and the one just written
        # (reading them again was a round trip more), in store.files' order.
        attached.append(SimpleNamespace(**row))
        attached.sort(key=lambda f: (aware(f.uploaded_at), f.id))
        view = await full_view(deps, uow, rec, now, file_rows=attached)
        await uow.commit()
        return view


async def _upload_need(
    deps: Deps,
    uow: UnitOfWork,
    req: pb.UploadMaterialRequest | pb.AttachMaterialFromRequest,
    actor: Actor,
    *,
    rec: CaseRecord | None = None,
    for_update: bool = True,
    attached: list[Any] | None = None,
    count_files: bool = True,
) -> forms.MaterialNeed:
    """The material need an upload fills, once the case, the material and (``count_files``) the
    count allow it. ``attached``, if given, receives all the case's files as read."""
    if rec is None:
        rec = await _own_draft(deps, uow, req.case_id, actor, states=UPLOAD_STATES, for_update=for_update)
    if rec.case.supplement is not None:
        supplements.check_material_named(rec.case.supplement, req.material_code)
    matter = views.matter_of(rec)
    needs = {
        n.code: n
        for n in forms.material_needs(
            matter.draft.materials, matter.draft.situations, rec.application.answers
        )
    }
    need = needs.get(req.material_code)
    if need is None or not need.uploaded_by_applicant:
        raise invalid(
            "MATERIAL_UNKNOWN",
            f"the matter has no material {req.material_code} the applicant uploads",
            f"该事项没有需要上传的材料“{req.material_code}”",
            "material_code",
        )
    if not count_files:
        return need
    every = await store.files(uow, rec.case.id)
    if attached is not None:
        attached.extend(every)
    if sum(f.material_code == req.material_code for f in every) >= deps.settings.max_files_per_material:
        raise invalid(
            "MATERIAL_TOO_MANY_FILES",
            f"at most {deps.settings.max_files_per_material} files per material",
            f"每项材料最多上传{deps.settings.max_files_per_material}个文件",
            "content",
        )
    return need


async def remove_material(deps: Deps, req: pb.RemoveMaterialRequest) -> pb.Case:
    actor = applicant(await actor_for(deps))
    now = deps.now()
    async with deps.db.uow() as uow:
        rec = await _own_draft(deps, uow, req.case_id, actor, states=UPLOAD_STATES)
        if rec.case.supplement is not None:
            supplements.check_material_named(rec.case.supplement, req.material_code)
        if not await store.remove_file(uow, rec.case.id, req.material_code, req.file_id):
            raise DomainError(
                "FILE_NOT_FOUND", "no such file on this material", "该材料下没有这个文件", ErrorKind.NOT_FOUND
            )
        rec = _touched(rec, now)
        await store.touch_case(uow, rec)
        view = await full_view(deps, uow, rec, now)
        await uow.commit()
        return view


async def delete_draft(deps: Deps, req: pb.DeleteDraftRequest) -> pb.DeleteDraftResponse:
    actor = applicant(await actor_for(deps))
    async with deps.db.uow() as uow:
        rec = await _own_draft(deps, uow, req.case_id, actor, states=frozenset({CaseState.DRAFT}))
        await store.delete_case(uow, rec.case.id)
        await uow.commit()
    return pb.DeleteDraftResponse()


def paging(page: Any) -> tuple[int, int]:
    number = max(1, page.page or 1)
    size = min(MAX_PAGE_SIZE, max(1, page.page_size or PAGE_SIZE))
    if number > 10_000:
        raise invalid("PAGE_INVALID", "page is too large", "页码过大", "page")
    return number, size


async def list_mine(deps: Deps, req: pb.ListMyCasesRequest) -> pb.ListMyCasesResponse:
    actor = applicant(await actor_for(deps, read=True), changes=False)
    number, size = paging(req.page)
    c = tables.cases.c
    mine = [c.applicant_subject == actor.subject, c.applicant_kind == (actor.applicant_kind or "person")]
    where = list(mine)
    states: list[str] | None = None
    if req.tab != pb.APPLICANT_TAB_UNSPECIFIED:
        if req.tab not in views.TAB_STATES:
            raise invalid("TAB_INVALID", "unknown tab", "未知的分类", "tab")
        states = views.TAB_STATES[req.tab]
        where.append(c.state.in_(states))
    now = deps.now()
    async with deps.db.reader() as uow:
        rows = await store.page_rows(uow, where, [c.updated_at.desc(), c.id], number, size)
        by_state = await store.count_by(uow, c.state, mine)
    # The page's total from the tabs' tally: a tab is a set of states (a count of its own would
    # read the applicant's rows once more).
    total = sum(n for s, n in by_state.items() if states is None or s in states)
    counts: dict[pb.ApplicantTab.ValueType, int] = dict.fromkeys(views.TAB_STATES, 0)
    for state, n in by_state.items():
        counts[views.TAB_PB[vocabulary.APPLICANT_TAB[CaseState(state)]]] += n
    return pb.ListMyCasesResponse(
        cases=[views.summary_message(r, now=now, calendar=deps.calendar) for r in rows],
        page=common_pb2.PageInfo(page=number, page_size=size, total=total),
        tabs=[pb.TabCount(tab=t, label=views.PB_TAB_LABEL[t], count=n) for t, n in counts.items()],
    )
