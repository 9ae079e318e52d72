"""The inbox's templates are data: every one is for a subject some service declares (or the
designed appointments.* / licences.* ones), uses only placeholders its event gives, and renders
in Chinese from the event's fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from govhall.consult import inbox_templates as t
from govhall.contracts import appointments as appointments_contract
from govhall.contracts import cases as cases_contract
from govhall.contracts import consult as consult_contract
from govhall.protos.common.v1 import common_pb2 as C

# Designed for the services to come: their events carry a common.v1.UserNotice in `notice`.
FUTURE = {
    "licences.licence.issued",
    "licences.licence.revoked",
}
NEED_ACTION = {
    "cases.case.accepted",
    "cases.case.supplement_requested",
    "cases.case.concluded",
    "appointments.booking.reminder",
}


def _fields(message: type) -> set[str]:
    return {f.name for f in message.DESCRIPTOR.fields}  # type: ignore[attr-defined]


def test_every_template_is_for_a_declared_subject_and_uses_only_its_fields() -> None:
    templates = t.templates()
    registries = {
        **{k.subject: k for k in cases_contract.REGISTRY},
        **{k.subject: k for k in consult_contract.REGISTRY},
        **{k.subject: k for k in appointments_contract.REGISTRY},
    }
    assert set(templates) - set(registries) == FUTURE
    for subject, template in templates.items():
        kind = registries.get(subject)
        # An event with a `notice` (appointments', licences') also gives the notice's fields.
        available = _fields(kind.message) if kind else set()
        if not kind or "notice" in available:
            available |= _fields(C.UserNotice)
        assert template.placeholders() <= available | set(t.DERIVED), subject
        assert template.title and template.body and template.link_kind, subject
    assert {s for s, tpl in templates.items() if tpl.sms} == NEED_ACTION


def test_the_issue_s_events_all_have_a_message() -> None:
    expected = {
        "cases.case.submitted",
        "cases.case.accepted",
        "cases.case.not_accepted",
        "cases.case.supplement_requested",
        "cases.case.concluded",
        "consult.rectification.rectified",
        "consult.rectification.called_back",
        "consult.letter.replied",
        "consult.error_report.accepted",
        "consult.error_report.refused",
        # Appointments (issue 15): every booking change the owner hears of.
        "appointments.booking.booked",
        "appointments.booking.confirmed",
        "appointments.booking.declined",
        "appointments.booking.cancelled",
        "appointments.booking.reminder",
        "appointments.booking.no_show",
    }
    assert expected <= set(t.templates())


def test_a_future_services_notice_fills_its_template() -> None:
    notice = C.UserNotice(
        recipient_kind=C.CALLER_KIND_PERSON,
        recipient_subject="person-1",
        object_id="b-1",
        object_number="YY0001",
        title="食品经营许可",
        site_name="西陵区政务服务中心",
        when="2026-12-08 09:30",
        place="3号窗口",
    )
    rendered = t.render(t.templates()["appointments.booking.reminder"], t.fields_of(notice))
    assert rendered.title == "预约提醒：食品经营许可"
    assert "2026-12-08 09:30" in rendered.sms and "YY0001" in rendered.sms
    assert (rendered.link_kind, rendered.link_id) == ("booking", "b-1")


def test_a_missing_field_is_left_empty_and_a_bad_file_fails_loudly(tmp_path: Path) -> None:
    template = t.Template("x.y.z", "标题{nothing}", "正文", "case", "{case_id}")
    assert t.render(template, {}).title == "标题"
    broken = tmp_path / "t.json"
    broken.write_text('{"x.y.z": {"title": "t", "body": "b"}}', encoding="utf-8")
    with pytest.raises(KeyError):
        t.load(broken)
