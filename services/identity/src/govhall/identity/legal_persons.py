"""Legal persons (法人): registered by their representative, read by whoever may reach them."""

from __future__ import annotations

from govhall.identity import access, events, model, store
from govhall.identity.deps import Deps, ts
from govhall.identity.model import LEGAL_PERSON, AccountRow, AuthorisationRow
from govhall.kit.caller import current_caller
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.ids import new_id
from govhall.kit.validators import parse_credit_code
from govhall.protos.identity.v1 import identity_pb2 as pb


def view(
    account: AccountRow,
    representative: AccountRow | None,
    relation: str,
    grant: AuthorisationRow | None = None,
) -> pb.LegalPerson:
    out = pb.LegalPerson(
        id=account.id,
        credit_code=account.credit_code or "",
        name=account.name,
        type=account.legal_person_type,  # type: ignore[arg-type]
        representative_id=account.representative_id or "",
        representative_name=representative.name if representative else "",
        created_at=ts(account.created_at),
        relation=relation,
        scopes=grant.scopes if grant else (sorted(model.SCOPES) if relation != "admin" else []),
    )
    if grant:
        out.authorised_until.FromDatetime(grant.expires_at)
    return out


async def register(deps: Deps, request: pb.RegisterLegalPersonRequest) -> pb.LegalPerson:
    credit_code = parse_credit_code(request.credit_code, field="credit_code")
    name = model.check_text(request.name, "name", "单位名称", 200)
    if request.type not in pb.LegalPersonType.values() or request.type == pb.LEGAL_PERSON_TYPE_UNSPECIFIED:
        raise invalid(
            "LEGAL_PERSON_TYPE_INVALID", "choose the type of legal person", "请选择法人类型", "type"
        )
    model.check_password(request.password)
    password_hash = await deps.passwords.hash(request.password)
    async with deps.db.uow() as uow:
        representative = await access.person(uow)
        if representative.level < pb.REAL_NAME_LEVEL_REAL_NAME:
            raise DomainError(
                "REAL_NAME_REQUIRED",
                "the legal representative must complete real-name verification first",
                "法定代表人须先完成个人实名认证",
                ErrorKind.FORBIDDEN,
            )
        account = AccountRow(
            id=new_id(),
            kind=LEGAL_PERSON,
            name=name,
            created_at=store.now(),
            password_hash=password_hash,
            level=pb.REAL_NAME_LEVEL_REAL_NAME,
            credit_code=credit_code,
            legal_person_type=request.type,
            representative_id=representative.id,
        )
        if not await store.insert_account(uow, account, mobile_idx=None, id_number_idx=None):
            raise DomainError(
                "CREDIT_CODE_TAKEN",
                "a legal person with this credit code is already registered",
                "该统一社会信用代码已注册",
                ErrorKind.CONFLICT,
            )
        uow.emit(events.user_registered(account.id, LEGAL_PERSON, name))
        await uow.commit()
    return view(account, representative, "representative")


async def get(deps: Deps, request: pb.GetLegalPersonRequest) -> pb.LegalPerson:
    async with deps.db.reader() as uow:
        await access.live_session(uow, current_caller())
        legal_person = await access.legal_person(uow, request.id)
        relation = await access.relation(uow, legal_person)
        caller = current_caller()
        agent_id = caller.actor_subject or caller.subject
        grant = (
            await access.live_authorisation(uow, legal_person.id, agent_id, store.now())
            if relation == "agent"
            else None
        )
        representative = await store.get_account(uow, legal_person.representative_id or "")
    return view(legal_person, representative, relation, grant)


async def list_mine(deps: Deps) -> pb.ListMyLegalPersonsResponse:
    async with deps.db.reader() as uow:
        person = await access.person(uow)
        own = await store.legal_persons_represented(uow, person.id)
        grants = await store.authorisations(uow, agent_id=person.id, live_at=store.now())
        others = await store.accounts_by_id(uow, [g.legal_person_id for g in grants])
        reps = await store.accounts_by_id(uow, [a.representative_id or "" for a in [*own, *others.values()]])
    out = [view(lp, person, "representative") for lp in own]
    out += [
        view(
            others[g.legal_person_id],
            reps.get(others[g.legal_person_id].representative_id or ""),
            "agent",
            g,
        )
        for g in grants
        if g.legal_person_id in others
    ]
    return pb.ListMyLegalPersonsResponse(legal_persons=out)
