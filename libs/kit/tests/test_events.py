"""Events say what they are: the envelope names the message type and schema version, decoding
checks both, and the trace that caused an event travels with it."""

from __future__ import annotations

import logging
import re

import pytest
from opentelemetry.sdk.trace import TracerProvider

from govhall.contracts import cases as cases_events
from govhall.contracts import catalogue as catalogue_events
from govhall.contracts.registry import EventType, Registry
from govhall.kit.events import SKIPPED, Delivery, Event, decode, make_event
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat


def _delivery(event: Event) -> Delivery:
    return Delivery(event.subject, event.payload, event.event_id)


def _skipped(consumer: str, subject: str, reason: str) -> float:
    return SKIPPED.labels(consumer, subject, reason)._value.get()


def _changed(**fields: object) -> cases_pb2.CaseChanged:
    return cases_pb2.CaseChanged(
        case_id="c1", case_number="420502-2026-000001", matter_code="420502-SCJG-0001", **fields
    )


def test_the_envelope_names_type_version_and_subject() -> None:
    event = make_event(cases_events.ACCEPTED, _changed(revision=3), "420502")
    meta = cases_pb2.CaseChanged.FromString(event.payload).meta
    assert (meta.message_type, meta.schema_version) == ("govhall.cases.v1.CaseChanged", 1)
    assert (meta.event_type, meta.event_id, meta.site_code) == (
        "cases.case.accepted",
        event.event_id,
        "420502",
    )
    decoded = decode(_delivery(event), cases_events.REGISTRY, "t-roundtrip")
    assert isinstance(decoded, cases_pb2.CaseChanged) and decoded.revision == 3


def test_a_publisher_cannot_put_another_message_on_a_subject() -> None:
    with pytest.raises(TypeError, match="CaseChanged"):
        make_event(cases_events.SUBMITTED, cases_pb2.CaseSubmitted(case_id="c1"))  # type: ignore[arg-type]


def test_another_type_on_a_known_subject_is_skipped_and_counted_not_misread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A CaseSubmitted stamped as such on cases.case.submitted: read as CaseChanged its fields 3-5
    # would give a matter code as the case number. It is skipped instead.
    wrong = EventType("cases.case.submitted", cases_pb2.CaseSubmitted)
    event = make_event(wrong, cases_pb2.CaseSubmitted(case_id="c1", matter_code="M", matter_version=2))
    before = _skipped("t-type", "cases.case.submitted", "unknown_type")
    with caplog.at_level(logging.WARNING):
        assert decode(_delivery(event), cases_events.REGISTRY, "t-type") is None
    assert _skipped("t-type", "cases.case.submitted", "unknown_type") == before + 1
    assert "govhall.cases.v1.CaseSubmitted where govhall.cases.v1.CaseChanged was expected" in caplog.text


def test_an_unknown_subject_is_skipped_and_counted() -> None:
    future = EventType("catalogue.theme.published", cat.ArticleChanged)
    event = make_event(future, cat.ArticleChanged())
    before = _skipped("t-subject", "catalogue.theme.published", "unknown_type")
    assert decode(_delivery(event), catalogue_events.REGISTRY, "t-subject") is None
    assert _skipped("t-subject", "catalogue.theme.published", "unknown_type") == before + 1


def test_a_newer_schema_version_is_skipped_and_counted() -> None:
    newer = EventType("cases.case.accepted", cases_pb2.CaseChanged, version=2)
    event = make_event(newer, _changed())
    before = _skipped("t-version", "cases.case.accepted", "newer_version")
    assert decode(_delivery(event), cases_events.REGISTRY, "t-version") is None
    assert _skipped("t-version", "cases.case.accepted", "newer_version") == before + 1
    # An older or equal version is read.
    older = Registry("cases", [EventType("cases.case.accepted", cases_pb2.CaseChanged, version=3)])
    assert isinstance(decode(_delivery(event), older, "t-version"), cases_pb2.CaseChanged)


def _untyped(subject: str, message: cases_pb2.CaseSubmitted | cases_pb2.CaseChanged) -> Event:
    """An event as published before types were stamped: event_type was the subject, nothing else."""
    message.meta.event_id = "old-1"
    message.meta.event_type = subject
    return Event(subject, message.SerializeToString(), "old-1")


def test_events_in_flight_from_before_are_read_as_their_subject_carried_then() -> None:
    old = _untyped(
        "cases.case.submitted", cases_pb2.CaseSubmitted(case_id="c1", matter_code="M", site_code="S")
    )
    submitted = decode(_delivery(old), cases_events.REGISTRY, "t-legacy")
    assert isinstance(submitted, cases_pb2.CaseSubmitted)
    assert (submitted.matter_code, submitted.site_code) == ("M", "S")
    old_changed = _untyped("cases.case.accepted", _changed(revision=2))
    accepted = decode(_delivery(old_changed), cases_events.REGISTRY, "t-legacy")
    assert isinstance(accepted, cases_pb2.CaseChanged)
    assert (accepted.case_number, accepted.revision) == ("420502-2026-000001", 2)


def test_traceparent_is_filled_from_the_current_span() -> None:
    assert (
        cases_pb2.CaseChanged.FromString(
            make_event(cases_events.ACCEPTED, _changed()).payload
        ).meta.traceparent
        == ""
    )
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("submit") as span:
        event = make_event(cases_events.ACCEPTED, _changed())
        context = span.get_span_context()
    traceparent = cases_pb2.CaseChanged.FromString(event.payload).meta.traceparent
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}", traceparent)
    assert traceparent.split("-")[1:3] == [f"{context.trace_id:032x}", f"{context.span_id:016x}"]


def _site(code: str) -> cat.SiteUpserted:
    return cat.SiteUpserted(site=cat.Site(code=code, name="西陵区", path=["420000", code]))


def test_a_state_event_carries_its_entity_in_the_subject_and_is_decoded_by_type() -> None:
    kind = catalogue_events.SITE_UPSERTED
    assert kind.keyed and kind.pattern == "catalogue.site.upserted.*"
    event = make_event(kind, _site("420502"))
    assert event.subject == "catalogue.site.upserted.420502" == kind.subject_for("420502")
    assert catalogue_events.REGISTRY.get(event.subject) is kind
    decoded = decode(_delivery(event), catalogue_events.REGISTRY, "t-keyed")
    assert isinstance(decoded, cat.SiteUpserted) and decoded.site.code == "420502"
    assert decoded.meta.event_type == "catalogue.site.upserted"
    # Every catalogue event is keyed: its stream keeps the last message per subject.
    assert all(k.keyed for k in catalogue_events.REGISTRY)
    assert "catalogue.matter.published.*" in catalogue_events.REGISTRY.patterns()
    assert not any(k.keyed for k in cases_events.REGISTRY)


def test_a_keyed_subject_is_checked_like_any_other() -> None:
    # Another message on a keyed subject is skipped, not misread.
    wrong = EventType("catalogue.site.upserted", cat.DepartmentUpserted, key_of=lambda m: m.department.code)
    event = make_event(wrong, cat.DepartmentUpserted(department=cat.Department(code="D1")))
    assert event.subject == "catalogue.site.upserted.D1"
    assert decode(_delivery(event), catalogue_events.REGISTRY, "t-keyed-type") is None
    # A key must be one subject token, and two tokens after a keyed subject are no subject of it.
    with pytest.raises(ValueError, match="one subject token"):
        make_event(catalogue_events.SITE_UPSERTED, _site("4205.02"))
    assert catalogue_events.REGISTRY.get("catalogue.site.upserted.420502.x") is None
    assert cases_events.REGISTRY.get("cases.case.submitted.c1") is None


def test_a_state_event_from_before_keys_is_still_read() -> None:
    """Outbox rows written before subjects were keyed go out on the bare subject."""
    old = make_event(catalogue_events.SITE_UPSERTED, _site("420100"))
    bare = Delivery("catalogue.site.upserted", old.payload, old.event_id)
    decoded = decode(bare, catalogue_events.REGISTRY, "t-bare")
    assert isinstance(decoded, cat.SiteUpserted) and decoded.site.code == "420100"
