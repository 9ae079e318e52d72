"""What every case operation shares: who is calling, loading a case they may see, and recording a
transition (the row, the flow, the clock columns, the events and the notice it issues) in the
same transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import grpc

from govhall.cases import (
    commands,
    documents,
    events,
    model,
    notices,
    records,
    store,
    values,
    views,
    vocabulary,
)
from govhall.cases.agents import AgentCache
from govhall.cases.clock import read_clock
from govhall.cases.matters import MatterCache
from govhall.cases.records import CaseRecord
from govhall.cases.settings import CasesSettings
from govhall.cases.values import Actor, ActorKind, ApplicantKind, Case, Transition
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.files import FileStore
from govhall.kit.grpcclient import call_options, domain_error
from govhall.kit.workdays import WorkingCalendar
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2, identity_pb2_grpc
from govhall.protos.licences.v1 import drive_pb2_grpc, grants_pb2_grpc, licences_pb2_grpc

SERVICE_CALLER = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="cases")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Deps:
    db: Database
    settings: CasesSettings
    files: FileStore
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    identity: identity_pb2_grpc.IdentityServiceStub
    calendar: WorkingCalendar
    cipher: FieldCipher  # personal numbers in forms, under the cases data key
    now: Callable[[], dt.datetime] = field(default=utcnow)
    # identity's positive CheckAgent answers, for reads (app.wire sizes it from the settings)
    agents: AgentCache = field(default_factory=lambda: AgentCache(0, 1))
    # Licences' cloud drive, asked on the applicant's behalf for a drive file they pick (sources.py)
    drive: drive_pb2_grpc.DriveServiceStub | None = None
    # Licences' grants and the applicant's licences, asked on the applicant's behalf to confirm a
    # grant before a material is taken from a licence (licence_materials.py)
    grants: grants_pb2_grpc.LicenceGrantsServiceStub | None = None
    licences: licences_pb2_grpc.LicencesServiceStub | None = None
    # The catalogue's GetMatter answers for a few seconds (matters.py; off unless app.wire sizes it)
    matters: MatterCache = field(default_factory=lambda: MatterCache(0, 1))


def not_found(case_id: str) -> DomainError:
    return DomainError(
        "CASE_NOT_FOUND", f"case {case_id} not found", f"办件“{case_id}”不存在", ErrorKind.NOT_FOUND
    )


# Upstreams ------------------------------------------------------------------------------------


async def _upstream(call: Any, request: Any) -> Any:
    try:
        return await call(request, **call_options(SERVICE_CALLER))
    except grpc.aio.AioRpcError as err:
        raise domain_error(err) from None


async def published_matter(deps: Deps, site_code: str, matter_code: str) -> cat.Matter:
    """The matter's published version as seen from the applicant's site (its own or an ancestor's);
    the catalogue's answer of the last ``matter_cache_seconds`` (matters.py). The status is checked
    on every call, so a withdrawal refuses new drafts once the catalogue's answer says so."""

    async def ask() -> cat.Matter:
        answer: cat.Matter = await _upstream(
            deps.catalogue.GetMatter, cat.GetMatterRequest(site_code=site_code, code=matter_code)
        )
        return answer

    matter = await deps.matters.get((site_code, matter_code), ask)
    if matter.status != cat.MATTER_STATUS_PUBLISHED:
        raise DomainError(
            "MATTER_NOT_PUBLISHED",
            "the matter is not published",
            "该事项未发布，暂不能申报",
            ErrorKind.WRONG_STATE,
        )
    if not matter.draft.online_application:
        raise DomainError(
            "MATTER_NOT_ONLINE",
            "the matter does not take online applications",
            "该事项不支持网上申报，请到窗口办理",
            ErrorKind.WRONG_STATE,
        )
    return matter


async def _check_agent(deps: Deps, legal_person_id: str, agent_id: str, scope: str, *, read: bool) -> Any:
    """identity's CheckAgent; a read may take a "yes" from the last few seconds (agents.py)."""
    key = (legal_person_id, agent_id, scope)
    if read and deps.agents.allowed(key):
        return identity_pb2.CheckAgentResponse(allowed=True)
    generation = deps.agents.generation
    answer: identity_pb2.CheckAgentResponse = await _upstream(
        deps.identity.CheckAgent,
        identity_pb2.CheckAgentRequest(legal_person_id=legal_person_id, agent_id=agent_id, scope=scope),
    )
    if answer.allowed:
        deps.agents.remember(key, generation)
    return answer


async def actor_for(deps: Deps, *, read: bool = False) -> Actor:
    """The caller as a case actor. An agent's authorisation is re-read from identity on every
    write: a revoked one stops working at once, whatever the token says. A ``read`` (it changes
    nothing) may use identity's "yes" of the last few seconds, dropped on a revocation event."""
    caller = current_caller()
    actor = Actor.from_caller(caller)
    if actor.kind is ActorKind.APPLICANT and actor.applicant_kind is ApplicantKind.LEGAL_PERSON:
        if not caller.actor_subject:
            # The enterprise signed in with its own credit code and password: it applies as
            # itself, with everything an applicant may do.
            return replace(actor, scopes=None)
        # The widest scope the authorisation grants now: applying (which includes following), or
        # following the legal person's cases only.
        scopes = (
            (vocabulary.APPLY_SCOPE, {vocabulary.APPLY_SCOPE, vocabulary.VIEW_SCOPE}),
            (vocabulary.VIEW_SCOPE, {vocabulary.VIEW_SCOPE}),
        )
        if read:
            # Any cached yes serves a read (a follower's view-only one too, without asking for
            # apply first); a scope granted since shows within the cache's seconds.
            for scope, granted in scopes:
                if deps.agents.allowed((caller.subject, caller.actor_subject, scope)):
                    return replace(actor, scopes=frozenset(granted))
        for scope, granted in scopes:
            answer = await _check_agent(deps, caller.subject, caller.actor_subject, scope, read=read)
            if answer.allowed:
                return replace(actor, scopes=frozenset(granted))
        raise DomainError(
            "AGENT_NOT_AUTHORISED",
            "the agent's authorisation for this legal person has ended or does not cover cases",
            "您对该单位的办事授权已失效或不包含办件申报",
            ErrorKind.FORBIDDEN,
        )
    return actor


# Access ---------------------------------------------------------------------------------------


def may_read(rec: CaseRecord, actor: Actor) -> bool:
    case = rec.case
    if actor.kind is ActorKind.SYSTEM:
        return True
    if actor.kind is ActorKind.APPLICANT:
        return case.applicant.kind is actor.applicant_kind and case.applicant.subject == actor.subject
    return actor.site_code == case.site_code and case.state is not vocabulary.CaseState.DRAFT


async def readable(
    deps: Deps, uow: UnitOfWork, case_id: str, actor: Actor, *, for_update: bool = False, read: bool = False
) -> tuple[CaseRecord, Actor]:
    """The case, if the actor may see it, and the actor to act on it as; otherwise
    CASE_NOT_FOUND, so that an outsider cannot tell someone else's case from a missing one.

    A legal person's representative (法定代表人) signed in as themselves reaches the legal
    person's cases too, acting for it. An authorised agent does not: their rights are the
    authorisation's, and they act through a token switched to the legal person (ActAs)."""
    rec = await store.load(uow, case_id, for_update=for_update) if case_id else None
    if rec is None:
        raise not_found(case_id)
    if may_read(rec, actor):
        return rec, actor
    if await _represents(deps, rec, actor, read=read and not for_update):
        return rec, Actor.agent(rec.case.applicant.subject, actor.subject, None, actor.name)
    raise not_found(case_id)


async def _represents(deps: Deps, rec: CaseRecord, actor: Actor, *, read: bool) -> bool:
    applicant = rec.case.applicant
    if actor.kind is not ActorKind.APPLICANT or actor.applicant_kind is not ApplicantKind.PERSON:
        return False
    if applicant.kind is not ApplicantKind.LEGAL_PERSON:
        return False
    try:
        answer = await _check_agent(deps, applicant.subject, actor.subject, vocabulary.APPLY_SCOPE, read=read)
    except DomainError as err:
        if err.kind is ErrorKind.NOT_FOUND:
            return False
        raise
    # Identity answers the representative with no authorisation behind it.
    return answer.allowed and not answer.authorisation_id


#: What verifying takes, by the level a matter asks for (identity.v1.RealNameLevel).
_HOW_TO_VERIFY = {
    identity_pb2.REAL_NAME_LEVEL_REAL_NAME: "请先完成实名认证：在“我的—实名认证”中填写本人姓名和身份证号码，认证通过后即可申报",
    identity_pb2.REAL_NAME_LEVEL_HIGH: (
        "该事项要求高级实名认证：请先在“我的—实名认证”中完成实名认证，"
        "再在“我的—提升认证等级”中通过人脸识别或数字证书提升为高级实名，之后即可申报"
    ),
}


async def require_real_name(deps: Deps, matter_code: str) -> None:
    """Refuse an applicant whose real-name level is below what the matter asks for.

    The level is the token's; a person whose token says less is asked about at identity, as they
    may have verified after signing in (the token keeps the level it was issued with)."""
    caller = current_caller()
    needed = deps.settings.real_name_level(matter_code)
    level = caller.real_name_level
    if level < needed and caller.kind == common_pb2.CALLER_KIND_PERSON:
        try:
            account: identity_pb2.Account = await deps.identity.GetMe(
                identity_pb2.GetMeRequest(), **call_options(caller)
            )
            level = max(level, account.real_name_level)
        except grpc.aio.AioRpcError as err:
            refused = domain_error(err)
            # No account or session behind the token: the token's level is all there is.
            if refused.kind not in (ErrorKind.UNAUTHENTICATED, ErrorKind.NOT_FOUND, ErrorKind.FORBIDDEN):
                raise refused from None
    if level < needed:
        high = needed >= identity_pb2.REAL_NAME_LEVEL_HIGH
        raise DomainError(
            "REAL_NAME_REQUIRED",
            "this matter needs a high-level real-name account (face or CA check) before applying"
            if high
            else "verify your real name (name and ID number) before applying",
            _HOW_TO_VERIFY[
                identity_pb2.REAL_NAME_LEVEL_HIGH if high else identity_pb2.REAL_NAME_LEVEL_REAL_NAME
            ],
            ErrorKind.FORBIDDEN,
        )


def perform(rec: CaseRecord, command: commands.Command, actor: Actor, now: dt.datetime) -> Transition:
    try:
        return model.perform(rec.case, command, actor, now)
    except DomainError as err:
        if err.code == "CASE_NOT_YOURS":
            raise not_found(rec.case.id) from None
        raise


# Recording a transition ----------------------------------------------------------------------


def clock_columns(case: Case, now: dt.datetime, calendar: WorkingCalendar, level: str) -> dict[str, Any]:
    reading = read_clock(case, views.today_in_china(now), calendar=calendar)
    if reading is None:
        return {"due_date": None, "on_time": None, "working_days_used": None, "warning_level": level}
    deciding = reading.promised or reading.legal
    return {
        "due_date": deciding.due if deciding else None,
        "on_time": reading.on_time,
        "working_days_used": deciding.used if deciding else None,
        # Kept as last raised; a sweep raises the events for a rise.
        "warning_level": "none" if reading.stopped else level,
    }


def check_revision(rec: CaseRecord, expected: int) -> None:
    if expected and expected != rec.case.revision:
        raise store.changed_error()


async def record(
    deps: Deps,
    uow: UnitOfWork,
    rec: CaseRecord,
    transition: Transition,
    *,
    now: dt.datetime,
    step_role: str = "",
    **changes: Any,
) -> CaseRecord:
    """Write the transition: the row (revision checked), one flow row, its events, and the notice
    the action issues (pending: the caller renders it after the commit with notices.finish)."""
    case = transition.case
    updated = records.with_case(rec, case, **changes)
    updated = replace(updated, **clock_columns(case, now, deps.calendar, updated.warning_level))
    await store.update_case(uow, updated)
    await store.append_flow(uow, case.id, transition.entry, step_role)
    kind = notice_kind(transition.entry)
    for subject in transition.events:
        uow.emit(events.case_event(subject, updated, transition.entry, kind.title_zh if kind else ""))
    if kind is not None:
        # Pending: rendered and stored after the commit (notices.finish), not under this lock.
        await notices.issue(deps, uow, updated, kind, transition.entry, now, verification_code())
    return replace(updated, loaded_revision=case.revision)


def notice_kind(entry: values.HistoryEntry) -> documents.DocumentKind | None:
    """The notice an action issues (受理/不予受理/补正告知/准予或不予许可决定), if any."""
    if entry.action is vocabulary.Action.ACCEPT:
        return documents.DocumentKind.ACCEPTANCE
    if entry.action is vocabulary.Action.NOT_ACCEPT:
        return documents.DocumentKind.NOT_ACCEPTED
    if entry.action is vocabulary.Action.REQUEST_SUPPLEMENT:
        return documents.DocumentKind.SUPPLEMENT
    if entry.action is vocabulary.Action.CONCLUDE:
        if entry.to_state is vocabulary.CaseState.CONCLUDED_APPROVED:
            return documents.DocumentKind.APPROVAL
        return documents.DocumentKind.DENIAL
    return None


def verification_code() -> str:
    return "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))


# Query passwords -----------------------------------------------------------------------------


def new_query_password() -> str:
    return "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))


def query_hash(case_id: str, password: str) -> str:
    return hmac.new(case_id.encode(), password.strip().upper().encode(), hashlib.sha256).hexdigest()


async def full_view(
    deps: Deps,
    uow: UnitOfWork,
    rec: CaseRecord,
    now: dt.datetime | None = None,
    *,
    file_rows: Sequence[Any] | None = None,
    licence_rows: Sequence[Any] | None = None,
) -> pb.Case:
    """The case as its applicant or a clerk sees it. ``file_rows``/``licence_rows``: what the
    caller's transaction read (and wrote) already, instead of reading them once more.

    A draft has had no transition: its flow and documents (written only by :func:`record`, for a
    transition out of a state) are empty, and are not read (two round trips on every upload)."""
    case_id = rec.case.id
    draft = rec.case.state is vocabulary.CaseState.DRAFT
    return views.case_message(
        rec,
        now=now or deps.now(),
        calendar=deps.calendar,
        flow_rows=() if draft else await store.flow(uow, case_id),
        file_rows=await store.files(uow, case_id) if file_rows is None else file_rows,
        licence_rows=await store.licence_refs(uow, case_id) if licence_rows is None else licence_rows,
        document_rows=() if draft else await store.documents(uow, case_id),
    )
