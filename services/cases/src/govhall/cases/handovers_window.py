"""跨省通办 at the receiving window (A): the clerk records a handover (identity checked in person,
materials scanned with the same content checks as a case's materials), sends it, takes the
supplement B asks for and hands over the returned result. The applicant follows it by A's
number in the portal (their own only)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import sqlalchemy as sa

from govhall.cases import views
from govhall.cases.applying import paging
from govhall.cases.handovers_records import (
    ID_CONTEXT,
    Loaded,
    S,
    add_file,
    dumps,
    files_of,
    load,
    mask_id,
    next_number,
    reload_view,
    require_clerk,
    save,
    state_name,
    to_dict,
    view,
    wrong_state,
)
from govhall.cases.handovers_tables import handover_files, handovers
from govhall.cases.workflow import Deps
from govhall.kit.caller import current_caller
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.files import DEFAULT_ACCEPTED, check_upload, file_not_found
from govhall.kit.ids import new_id
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.common.v1 import common_pb2
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

DELIVERY = ("post", "pickup", "electronic")
APPLICANT_KINDS = ("person", "legal_person")


def _text(value: str, field: str, en: str, zh: str, limit: int = 200) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise invalid(
            "HANDOVER_FIELD_INVALID", f"{en} is required (at most {limit} characters)", f"请填写{zh}", field
        )
    return value


def _province(code: str) -> str:
    return code[:2] + "0000"


async def create(deps: Deps, req: hpb.CreateHandoverRequest) -> hpb.HandoverRecord:
    clerk = require_clerk()
    if req.site_code != clerk.site_code:
        raise invalid(
            "HANDOVER_WRONG_SITE",
            "the receiving window must be your own site",
            "只能以本窗口所在站点受理",
            "site_code",
        )
    partner = req.partner_province.strip()
    if len(partner) != 6 or not partner.isdigit() or partner == _province(clerk.site_code):
        raise invalid(
            "HANDOVER_PARTNER_INVALID",
            "partner_province must be another province's 6-digit code",
            "请选择其他省份",
            "partner_province",
        )
    a = req.applicant
    if a.kind not in APPLICANT_KINDS:
        raise invalid(
            "HANDOVER_FIELD_INVALID",
            "applicant.kind is person or legal_person",
            "请选择申请人类型",
            "applicant.kind",
        )
    name = _text(a.name, "applicant.name", "the applicant's name", "申请人姓名", 100)
    id_number = _text(a.id_number, "applicant.id_number", "the applicant's ID number", "证件号码", 40)
    matter_code = _text(req.matter_code, "matter_code", "the matter", "事项", 64)
    matter_name = _text(req.matter_name, "matter_name", "the matter's name", "事项名称", 200)
    consent = _text(req.consent_text, "consent_text", "the applicant's consent", "申请人授权同意书", 2000)
    delivery = req.delivery_method or "pickup"
    if delivery not in DELIVERY:
        raise invalid(
            "HANDOVER_FIELD_INVALID",
            "delivery_method is post, pickup or electronic",
            "请选择结果送达方式",
            "delivery_method",
        )
    try:
        form = json.loads(req.form_json or "{}")
    except ValueError:
        form = None
    if not isinstance(form, dict):
        raise invalid(
            "HANDOVER_FIELD_INVALID", "form_json must be a JSON object", "申请表格式不正确", "form_json"
        )
    now = deps.now()
    window = xp.ReceivingWindow(
        province=_province(clerk.site_code),
        site_code=clerk.site_code,
        hall_name=req.hall_name.strip(),
        window_name=req.window_name.strip(),
        clerk_id=clerk.subject,
        clerk_name=clerk.name,
        received_at=now.isoformat().replace("+00:00", "Z"),
    )
    details = {
        "applicant": {
            "kind": a.kind,
            "id_type": a.id_type or "居民身份证",
            "id_masked": mask_id(id_number),
            "mobile": a.mobile,
            "verified_by": a.verified_by or "in_person",
        },
        "form_json": dumps(form),
        "delivery_method": delivery,
        "consent": {"text": consent, "given_at": window.received_at},
        "window": to_dict(window),
    }
    handover_id = new_id()
    async with deps.db.uow() as uow:
        number = await next_number(uow, clerk.site_code, views.today_in_china(now))
        await uow.conn.execute(
            sa.insert(handovers).values(
                id=handover_id,
                number=number,
                direction="outgoing",
                partner_province=partner,
                site_code=clerk.site_code,
                matter_code=matter_code,
                matter_name=matter_name,
                state=state_name(S.HANDOVER_STATE_DRAFT),
                applicant_subject=req.applicant_subject.strip(),
                applicant_name=name,
                applicant_id_sealed=deps.cipher.encrypt(id_number, ID_CONTEXT),
                remote_case_id="",
                remote_case_number="",
                remote_revision=0,
                supplement_seq=0,
                revision=1,
                created_at=now,
                updated_at=now,
                details=dumps(details),
            )
        )
        await uow.commit()
    return await reload_view(deps, handover_id)


async def _checked(deps: Deps, m: hpb.AddHandoverMaterialRequest, field: str) -> dict[str, Any]:
    """A scanned file, checked as a case material is (type by content, size, active content),
    then stored by hash in cases' file store (before any transaction: see applying.upload_material)."""
    code = _text(m.material_code, f"{field}.material_code", "the material", "材料", 40)
    upload = await asyncio.to_thread(
        check_upload,
        m.file_name,
        m.content,
        DEFAULT_ACCEPTED,
        deps.settings.max_upload_bytes,
        deps.settings.content_limits(),
    )
    digest = await deps.files.aput(m.content)
    return {
        "material_code": code,
        "name": m.name.strip() or code,
        "file_name": upload.file_name,
        "media_type": upload.media_type,
        "sha256": digest,
        "size": upload.size,
    }


def _own_site(loaded: Loaded, clerk: common_pb2.CallerIdentity) -> None:
    if loaded.row.site_code != clerk.site_code:
        raise DomainError(
            "HANDOVER_NOT_FOUND", "handover not found", "跨省通办业务不存在", ErrorKind.NOT_FOUND
        )


async def add_material(deps: Deps, req: hpb.AddHandoverMaterialRequest) -> hpb.HandoverRecord:
    clerk = require_clerk()
    async with deps.db.reader() as uow:
        loaded = await load(uow, req.handover_id)
    _own_site(loaded, clerk)
    file = await _checked(deps, req, "material")
    now = deps.now()
    async with deps.db.uow() as uow:
        loaded = await load(uow, req.handover_id, for_update=True)
        if loaded.row.state != state_name(S.HANDOVER_STATE_DRAFT):
            raise wrong_state("materials are added before the handover is sent", "已发送的业务不能再添加材料")
        same = [
            f
            for f in await files_of(uow, loaded.row.id, ("material",))
            if f.material_code == file["material_code"]
        ]
        if len(same) >= deps.settings.max_files_per_material:
            raise invalid(
                "MATERIAL_TOO_MANY_FILES",
                f"at most {deps.settings.max_files_per_material} files per material",
                f"每项材料最多上传{deps.settings.max_files_per_material}个文件",
                "content",
            )
        await add_file(uow, loaded.row.id, "material", 0, file, now)
        await save(uow, loaded, now)
        await uow.commit()
    return await reload_view(deps, req.handover_id)


async def send(deps: Deps, req: hpb.HandoverRef) -> hpb.HandoverRecord:
    clerk = require_clerk()
    now = deps.now()
    async with deps.db.uow() as uow:
        loaded = await load(uow, req.handover_id, for_update=True)
        _own_site(loaded, clerk)
        if loaded.row.state == state_name(S.HANDOVER_STATE_SENDING):
            return await view(uow, loaded.row)  # a retried send queues nothing twice
        if loaded.row.state != state_name(S.HANDOVER_STATE_DRAFT):
            raise wrong_state("the handover was sent already", "该业务已发送")
        if not await files_of(uow, loaded.row.id, ("material",)):
            raise invalid(
                "HANDOVER_NO_MATERIALS",
                "scan at least one material first",
                "请先扫描上传申请材料",
                "materials",
            )
        await save(uow, loaded, now, "sending", state=state_name(S.HANDOVER_STATE_SENDING))
        await uow.commit()
    return await reload_view(deps, req.handover_id)


async def supplement(deps: Deps, req: hpb.SupplementHandoverRequest) -> hpb.HandoverRecord:
    """补正 through A's window: the clerk (or the applicant, for their own) adds what B asked for."""
    caller = current_caller()
    async with deps.db.reader() as uow:
        loaded = await load(uow, req.handover_id)
    if caller.kind == common_pb2.CALLER_KIND_STAFF:
        _own_site(loaded, require_clerk())
    elif caller.kind == common_pb2.CALLER_KIND_SERVICE:
        raise DomainError("HANDOVER_WRONG_ACTOR", "not for a service", "不支持服务调用", ErrorKind.FORBIDDEN)
    if not req.materials and not req.form_json.strip():
        raise invalid(
            "HANDOVER_SUPPLEMENT_EMPTY", "add the supplemented materials", "请上传补正材料", "materials"
        )
    files = [await _checked(deps, m, f"materials[{i}]") for i, m in enumerate(req.materials)]
    now = deps.now()
    async with deps.db.uow() as uow:
        loaded = await load(uow, req.handover_id, for_update=True)
        if loaded.row.state != state_name(S.HANDOVER_STATE_SUPPLEMENT_REQUESTED):
            raise wrong_state("no supplement is asked for", "当前无需补正")
        seq = loaded.row.supplement_seq + 1
        for file in files:
            await add_file(uow, loaded.row.id, "supplement", seq, file, now)
        loaded.details.setdefault("supplements", {})[str(seq)] = {
            "form_json": req.form_json,
            "note": req.note,
        }
        await save(
            uow,
            loaded,
            now,
            "supplement_sending",
            supplement_seq=seq,
            state=state_name(S.HANDOVER_STATE_SUPPLEMENT_SENDING),
        )
        await uow.commit()
    return await reload_view(deps, req.handover_id)


async def deliver(deps: Deps, req: hpb.DeliverHandoverResultRequest) -> hpb.HandoverRecord:
    clerk = require_clerk()
    if req.delivered_by not in DELIVERY:
        raise invalid(
            "HANDOVER_FIELD_INVALID",
            "delivered_by is post, pickup or electronic",
            "请选择送达方式",
            "delivered_by",
        )
    now = deps.now()
    async with deps.db.uow() as uow:
        loaded = await load(uow, req.handover_id, for_update=True)
        _own_site(loaded, clerk)
        if loaded.row.state != state_name(S.HANDOVER_STATE_RESULT_RECEIVED):
            raise wrong_state("the result has not come back", "办理结果尚未返回")
        loaded.details["delivered_by"] = req.delivered_by
        loaded.details["delivered_note"] = req.note[:200]
        await save(uow, loaded, now, "result_delivered", state=state_name(S.HANDOVER_STATE_DELIVERED))
        await uow.commit()
    return await reload_view(deps, req.handover_id)


async def get(deps: Deps, req: hpb.HandoverRef) -> hpb.HandoverRecord:
    return await reload_view(deps, req.handover_id)


async def list_handovers(deps: Deps, req: hpb.ListHandoversRequest) -> hpb.ListHandoversResponse:
    caller = current_caller()
    c = handovers.c
    if caller.kind == common_pb2.CALLER_KIND_STAFF:
        where = [c.site_code == caller.site_code]
        if req.site_code and req.site_code != caller.site_code:
            raise invalid(
                "HANDOVER_WRONG_SITE", "only your own site's handovers", "只能查看本站点的业务", "site_code"
            )
    elif caller.kind in (common_pb2.CALLER_KIND_PERSON, common_pb2.CALLER_KIND_LEGAL_PERSON):
        where = [c.applicant_subject == caller.subject, c.applicant_subject != ""]
    else:
        raise DomainError(
            "HANDOVER_WRONG_ACTOR", "sign in to see handovers", "请登录后查看", ErrorKind.FORBIDDEN
        )
    if req.state:
        if req.state not in S.values() or req.state == S.HANDOVER_STATE_UNSPECIFIED:
            raise invalid("HANDOVER_STATE_INVALID", "unknown state", "未知的状态", "state")
        where.append(c.state == state_name(req.state))
    number, size = paging(req.page)
    async with deps.db.reader() as uow:
        total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(handovers).where(*where))
        rows = (
            await uow.conn.execute(
                sa.select(handovers)
                .where(*where)
                .order_by(c.updated_at.desc(), c.id)
                .limit(size)
                .offset((number - 1) * size)
            )
        ).all()
        out = [await view(uow, r) for r in rows]
    return hpb.ListHandoversResponse(
        handovers=out, page=common_pb2.PageInfo(page=number, page_size=size, total=int(total or 0))
    )


async def get_file(deps: Deps, req: hpb.GetHandoverFileRequest) -> pb.StoredFile:
    async with deps.db.reader() as uow:
        loaded = await load(uow, req.handover_id)
        row = (
            await uow.conn.execute(
                sa.select(handover_files).where(
                    handover_files.c.id == req.file_id, handover_files.c.handover_id == loaded.row.id
                )
            )
        ).first()
    if row is None:
        raise file_not_found()
    content = await deps.files.aget(row.sha256)
    return pb.StoredFile(
        file_name=row.file_name, media_type=row.media_type, content=content, sha256=row.sha256
    )
