"""The applicant's submissions: submitting a draft (申报, with its application number and query
password), resubmitting after a supplement notice (补正提交), withdrawing (撤回), and a new query
password for a submitted case."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from govhall.cases import commands, forms, personal, store, supplements, views
from govhall.cases.applying import applicant, form_text, idempotency_key, key_reused
from govhall.cases.records import Application, CaseRecord
from govhall.cases.vocabulary import CaseState
from govhall.cases.workflow import (
    Deps,
    actor_for,
    full_view,
    new_query_password,
    notice_kind,
    perform,
    query_hash,
    readable,
    record,
    require_real_name,
)
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid, invalid_fields
from govhall.protos.cases.v1 import cases_pb2 as pb


async def _completeness(
    deps: Deps, uow: UnitOfWork, rec: CaseRecord, read: dict[str, list[Any]] | None = None
) -> Application:
    """Everything a submission needs, every problem at once: answers, the whole form, and a file
    for each needed material. Returns the application with the cleaned form; ``read``, if given,
    receives the case's "files" and "licences" rows as read (the reply's view needs them)."""
    matter = views.matter_of(rec)
    draft = matter.draft
    app = rec.application
    problems: list[FieldError] = list(forms.missing_answers(draft.situations, app.answers))
    try:
        form_json, sealed = form_text(deps, matter, app.form_json, app.answers, complete=True, before=app)
        app = replace(app, form_json=form_json, sealed=sealed)
    except DomainError as err:
        problems.extend(err.fields)
    needs = forms.material_needs(draft.materials, draft.situations, app.answers)
    files = await store.files(uow, rec.case.id)
    licences = await store.licence_refs(uow, rec.case.id)
    if read is not None:
        read.update(files=files, licences=licences)
    attached = {f.material_code for f in files}
    # A material taken from a licence the applicant granted the case counts as provided.
    attached |= {r.material_code for r in licences}
    problems.extend(forms.missing_materials(needs, attached))
    if problems:
        raise invalid_fields("CASE_INCOMPLETE", problems)
    return app


async def submit(deps: Deps, req: pb.SubmitCaseRequest) -> pb.Case:
    actor = applicant(await actor_for(deps))
    key = idempotency_key(req.idempotency_key, "idempotency_key")
    now = deps.now()
    async with deps.db.uow() as uow:
        rec, actor = await readable(deps, uow, req.case_id, actor, for_update=True)
        if key and await store.find_by_submit_key(uow, rec.case.applicant.subject, key) not in (
            None,
            rec.case.id,
        ):
            raise key_reused("idempotency_key")
        if key and rec.submit_key == key:
            # A retry of a submit that went through: the same case, no second submission. The
            # reply that carried the query password may be what was lost, and a retry is the one
            # moment the client knows it: a fresh password replaces the old one (whose only copy
            # was in that reply), so the applicant always ends up holding a working one. Only the
            # applicant, with the key only their client had, can ask; ResetQueryPassword serves
            # an applicant whose client gave up instead of retrying.
            return await _new_password(deps, uow, rec, now)
        perform(rec, commands.Submit(), actor, now)  # refused before a number is spent
        read: dict[str, list[Any]] = {}
        was_draft = rec.case.state is CaseState.DRAFT
        if was_draft:
            await require_real_name(deps, rec.case.matter_code)
            if views.matter_of(rec).draft.guide.notice.strip() and not req.notice_read:
                raise invalid(
                    "NOTICE_NOT_READ",
                    "confirm that you have read the application notice",
                    "请阅读并确认申报须知",
                    "notice_read",
                )
            rec = replace(rec, application=await _completeness(deps, uow, rec, read))
        number = await store.next_application_number(uow, rec.site_code, views.today_in_china(now))
        transition = perform(rec, commands.Submit(number), actor, now)
        password = new_query_password()
        rec = await record(
            deps, uow, rec, transition, now=now, submit_key=key, query_hash=query_hash(rec.case.id, password)
        )
        if was_draft and notice_kind(transition.entry) is None:
            # What the transaction read and wrote is the whole case: a draft had no flow and no
            # documents, submitting writes one flow row and issues no notice (reading the four
            # again after the commit was a transaction and four round trips more).
            view = views.case_message(
                rec,
                now=now,
                calendar=deps.calendar,
                flow_rows=[SimpleNamespace(**store.flow_values(rec.case.id, transition.entry))],
                file_rows=read["files"],
                licence_rows=read["licences"],
            )
        else:
            view = await full_view(deps, uow, rec, now)
        await uow.commit()
    view.query_password = password
    return view


async def _new_password(deps: Deps, uow: UnitOfWork, rec: CaseRecord, now: dt.datetime) -> pb.Case:
    password = new_query_password()
    await store.set_query_hash(uow, rec.case.id, query_hash(rec.case.id, password))
    await uow.commit()
    view = await full_view(deps, uow, rec, now)
    view.query_password = password
    return view


async def reset_query_password(deps: Deps, req: pb.ResetQueryPasswordRequest) -> pb.Case:
    """A new query password for a submitted case, shown once; the old one stops working."""
    actor = applicant(await actor_for(deps))
    now = deps.now()
    async with deps.db.uow() as uow:
        rec, actor = await readable(deps, uow, req.case_id, actor, for_update=True)
        if rec.case.state is CaseState.DRAFT:
            raise DomainError(
                "CASE_NOT_IN_STATE",
                "a draft has no query password yet: submit it first",
                "办件尚未提交，提交后才有查询密码",
                ErrorKind.WRONG_STATE,
            )
        return await _new_password(deps, uow, rec, now)


async def _applicant_transition(deps: Deps, case_id: str, command: commands.Command) -> pb.Case:
    actor = applicant(await actor_for(deps))
    now = deps.now()
    async with deps.db.uow() as uow:
        rec, actor = await readable(deps, uow, case_id, actor, for_update=True)
        transition = perform(rec, command, actor, now)
        if isinstance(command, commands.Resubmit) and rec.case.supplement is not None:
            supplements.check_done(
                rec.case.supplement,
                personal.comparable(rec.application.form_json, rec.application.sealed),
                await store.files(uow, rec.case.id),
            )
            # The application as a whole must still be complete after the changes.
            rec = replace(rec, application=await _completeness(deps, uow, rec))
        rec = await record(deps, uow, rec, transition, now=now)
        await uow.commit()
        return await full_view(deps, uow, rec, now)


async def resubmit(deps: Deps, req: pb.ResubmitCaseRequest) -> pb.Case:
    return await _applicant_transition(deps, req.case_id, commands.Resubmit(req.note))


async def withdraw(deps: Deps, req: pb.WithdrawCaseRequest) -> pb.Case:
    return await _applicant_transition(deps, req.case_id, commands.Withdraw(req.reason))
