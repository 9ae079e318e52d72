"""What cases publishes: every cases.case.* subject carries a CaseChanged, submission included,
stamped with its type and version, so a consumer of cases.case.* never misreads one."""

from __future__ import annotations

import dataclasses
import datetime as dt

from govhall.cases import commands, events, model
from govhall.cases.records import CaseRecord
from govhall.cases.values import Actor
from govhall.contracts import cases as contract
from govhall.kit.events import Delivery, decode
from govhall.kit.outbox import ordering_key
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import handovers_pb2 as hpb

from .test_migration_0002 import T0, _record


def _submitted() -> tuple[CaseRecord, pb.CaseChanged]:
    rec = _record("case-1", submitted=False)
    transition = model.perform(
        rec.case, commands.Submit(application_number="SB-1"), Actor.person("person-1", "张三"), T0
    )
    rec = dataclasses.replace(rec, case=transition.case)
    assert transition.events == (model.SUBMITTED,)
    event = events.case_event(model.SUBMITTED, rec, transition.entry)
    decoded = decode(Delivery(event.subject, event.payload, event.event_id), contract.REGISTRY, "test")
    assert isinstance(decoded, pb.CaseChanged)
    return rec, decoded


def test_submission_is_a_case_changed_with_revision_and_applicant() -> None:
    rec, changed = _submitted()
    assert changed.meta.message_type == "govhall.cases.v1.CaseChanged"
    assert changed.meta.schema_version == contract.SUBMITTED.version >= 1
    assert changed.meta.event_type == "cases.case.submitted"
    assert changed.revision == rec.case.revision > 0
    assert changed.applicant.subject == "person-1" and changed.applicant.name == "张三"
    assert changed.state == pb.CASE_STATE_SUBMITTED and changed.from_state == pb.CASE_STATE_DRAFT
    assert changed.application_number == "SB-1"
    assert (changed.matter_code, changed.matter_name) == ("420502-SCJG-0001", "食品经营许可")
    assert (changed.matter_version, changed.matter_site_code) == (1, "420502")


def test_the_subject_clash_cannot_come_back() -> None:
    """Before, a submitted event read as CaseChanged gave the matter code as case_number and a
    site code as matter_name. Every subject of the registry now carries CaseChanged, and the
    only other message ever on one (CaseSubmitted, untyped, from before) is read as itself."""
    assert {kind.message for kind in contract.REGISTRY if kind.subject.startswith("cases.case.")} == {
        pb.CaseChanged
    }
    # 跨省通办's events are their own subjects (cases.handover.*), each a HandoverChanged.
    assert {kind.message for kind in contract.REGISTRY if kind.subject.startswith("cases.handover.")} == {
        hpb.HandoverChanged
    }
    assert [kind.subject for kind in contract.REGISTRY if kind.legacy] == ["cases.case.submitted"]
    _, changed = _submitted()
    assert changed.case_number != changed.matter_code and changed.matter_name == "食品经营许可"


def test_a_supplement_request_says_what_is_missing_and_a_notice_is_named() -> None:
    """The applicant's inbox tells what to fix (一次性告知) and which notice was issued from the
    event alone, without calling cases back."""
    from .test_model import CLERK, SUPPLEMENT

    rec, _ = _submitted()
    deadline = (T0 + dt.timedelta(days=10)).date()
    request = dataclasses.replace(SUPPLEMENT, deadline=deadline)
    transition = model.perform(rec.case, request, CLERK, T0 + dt.timedelta(hours=1))
    rec = dataclasses.replace(rec, case=transition.case)
    subject = "cases.case.supplement_requested"
    assert transition.events == (subject,)
    event = events.case_event(subject, rec, transition.entry, "补正告知书")
    changed = decode(Delivery(event.subject, event.payload, event.event_id), contract.REGISTRY, "test")
    assert isinstance(changed, pb.CaseChanged)
    assert [(i.material, i.problem) for i in changed.supplement_items] == [
        ("营业执照", "复印件不清晰，请上传原件扫描件"),
        ("经营场所证明", "缺少"),
    ]
    assert changed.supplement_deadline == deadline.isoformat()
    assert changed.notice_title == "补正告知书"
    # Adding fields misleads no older reader: the version stays (docs/ARCHITECTURE.md rule 5).
    assert changed.meta.schema_version == 1


def test_a_case_event_names_its_case_as_the_aggregate_the_relay_orders_by() -> None:
    """The subject carries no case id: the event names the case, so the outbox relay keeps each
    case's events in order and publishes different cases' events concurrently."""
    rec = _record("case-1", submitted=False)
    other = _record("case-2", submitted=False)
    actor = Actor.person("person-1", "张三")
    first = model.perform(rec.case, commands.Submit(application_number="SB-1"), actor, T0)
    rec = dataclasses.replace(rec, case=first.case)
    submitted = events.case_event(model.SUBMITTED, rec, first.entry)
    assert submitted.ordering_key == "case-1"
    clock = events.clock_event("cases.case.overdue", rec, pb.WARNING_LEVEL_RED, "2026-01-01")
    assert ordering_key(clock.subject, clock.ordering_key) == ordering_key(
        submitted.subject, submitted.ordering_key
    )
    theirs = model.perform(other.case, commands.Submit(application_number="SB-2"), actor, T0)
    other = dataclasses.replace(other, case=theirs.case)
    their_event = events.case_event(model.SUBMITTED, other, theirs.entry)
    assert ordering_key(their_event.subject, their_event.ordering_key) != ordering_key(
        submitted.subject, submitted.ordering_key
    )
