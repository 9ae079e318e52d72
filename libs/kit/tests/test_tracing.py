"""Traces across the hops: a span that raises an event is the ancestor of every consumer's span
(through the outbox and real NATS JetStream, or the embedded bus), a gRPC call's server span is
the caller's child, and the OTLP exporter ships spans when an endpoint is set."""

from __future__ import annotations

import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from opentelemetry import trace
from opentelemetry.trace import SpanKind

from govhall.contracts.registry import EventType
from govhall.kit import tracing
from govhall.kit.bus import InProcessBus
from govhall.kit.events import Delivery, Event, make_event
from govhall.kit.grpcserver import GrpcServer
from govhall.kit.outbox import OutboxRelay
from govhall.kit.testing import cluster_bus, database_with_kit_tables, signed_channel, verifier, wait_until
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

SUBMITTED = EventType("cases.case.submitted", cases_pb2.CaseSubmitted)
tracer = trace.get_tracer("test")


@pytest.fixture(params=["inprocess", "jetstream"])
async def bus(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "inprocess":
        b: Any = InProcessBus()
    else:
        b = cluster_bus(request.getfixturevalue("cluster"), "admin", f"T{uuid.uuid4().hex[:8].upper()}")
    await b.start()
    yield b
    if request.param == "jetstream":
        await b.delete_streams()
    await b.close()


def _by_id(spans: Any) -> dict[int, Any]:
    return {s.context.span_id: s for s in spans.get_finished_spans()}


def _named(by_id: dict[int, Any], name: str) -> Any:
    found = [s for s in by_id.values() if s.name == name]
    assert found, f"no span {name!r} among {sorted(s.name for s in by_id.values())}"
    return found[0]


def _ancestors(span: Any, by_id: dict[int, Any]) -> list[str]:
    """The names of the span's ancestors, nearest first, as far as they were recorded."""
    names = []
    while span.parent is not None and span.parent.span_id in by_id:
        span = by_id[span.parent.span_id]
        names.append(span.name)
    return names


async def test_each_consumer_span_descends_from_the_span_that_raised_the_event(
    bus: Any, spans: Any, tmp_path: Path
) -> None:
    """Request span -> (envelope in the outbox row) -> relay's producer span -> (message headers)
    -> one consumer span per durable consumer, all in one trace; a span the handler opens is
    under its consumer span."""
    db = await database_with_kit_tables(f"sqlite+aiosqlite:///{tmp_path / 'svc.db'}")
    handled: list[str] = []

    def consumer(name: str) -> Any:
        async def handle(d: Delivery) -> None:
            with tracer.start_as_current_span(f"{name} applies"):
                handled.append(name)

        return handle

    await bus.subscribe("search-cases", "cases.case.>", consumer("search"))
    await bus.subscribe("consult-cases", "cases.case.>", consumer("consult"))
    relay = OutboxRelay(db, bus, "cases", poll_interval=0.05)
    with tracer.start_as_current_span("POST /api/cases", kind=SpanKind.SERVER) as request:
        async with db.uow() as uow:
            uow.emit(make_event(SUBMITTED, cases_pb2.CaseSubmitted(case_id="C1")))
            await uow.commit()
    relay.start()  # its own task, as in a service: nothing of the request's context is current there
    try:
        await wait_until(lambda: sorted(handled) == ["consult", "search"], what="both consumers handled it")

        def applied() -> dict[int, Any]:
            found = _by_id(spans)
            return found if {"search applies", "consult applies"} <= {s.name for s in found.values()} else {}

        by_id = await wait_until(applied, what="both handlers' spans ended")
    finally:
        await relay.stop()
        await db.close()
    trace_id = request.get_span_context().trace_id
    producer = _named(by_id, "cases.case.submitted publish")
    assert producer.kind == SpanKind.PRODUCER
    assert producer.context.trace_id == trace_id
    assert producer.attributes["messaging.destination.name"] == "cases.case.submitted"
    assert _ancestors(producer, by_id) == ["POST /api/cases"]
    consumers = [s for s in by_id.values() if s.name == "cases.case.submitted process"]
    assert sorted(s.attributes["messaging.consumer.group.name"] for s in consumers) == [
        "consult-cases",
        "search-cases",
    ]
    for span in consumers:
        assert span.kind == SpanKind.CONSUMER
        assert span.context.trace_id == trace_id
        assert span.parent.span_id == producer.context.span_id
    for name in ("search", "consult"):
        applies = _named(by_id, f"{name} applies")
        assert applies.context.trace_id == trace_id
        assert _ancestors(applies, by_id) == [
            "cases.case.submitted process",
            "cases.case.submitted publish",
            "POST /api/cases",
        ]


async def test_an_event_raised_outside_a_trace_starts_one_at_the_relay(bus: Any, spans: Any) -> None:
    """No traceparent in the envelope: the producer span is a root and the consumer its child,
    never a child of whatever span happens to be current where the handler runs."""
    consumed: list[str] = []

    async def handle(d: Delivery) -> None:
        consumed.append(d.event_id)

    await bus.subscribe("search-cases", "cases.case.>", handle)
    event = Event(subject="cases.case.submitted", payload=b"not an envelope")
    with tracing.producer_span(event.subject, event.event_id, event.payload):
        await bus.publish(event)
    await wait_until(lambda: consumed == [event.event_id], what="the consumer handled it")
    by_id = await wait_until(
        lambda: (
            (f := _by_id(spans)) and {s.name for s in f.values()} >= {"cases.case.submitted process"} and f
        ),
        what="the consumer span ended",
    )
    producer = _named(by_id, "cases.case.submitted publish")
    consumer = _named(by_id, "cases.case.submitted process")
    assert producer.parent is None
    assert consumer.parent.span_id == producer.context.span_id


class Sites(catalogue_pb2_grpc.CatalogueServiceServicer):
    async def GetSite(self, request: pb.GetSiteRequest, context: Any) -> pb.Site:
        with tracer.start_as_current_span("servicer works"):
            return pb.Site(code=request.code)


async def test_a_grpc_server_span_is_the_calling_span_s_child(spans: Any) -> None:
    srv = GrpcServer(
        "127.0.0.1:0",
        [
            (
                catalogue_pb2_grpc.add_CatalogueServiceServicer_to_server,
                Sites(),
                "govhall.catalogue.v1.CatalogueService",
            )
        ],
        verifier=verifier("catalogue", {"gateway": {"kinds": ["anonymous"]}}),
    )
    await srv.start()
    ch = signed_channel(srv.address, "catalogue")
    try:
        stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
        with tracer.start_as_current_span("GET /api/sites/{code}", kind=SpanKind.SERVER) as request:
            await stub.GetSite(pb.GetSiteRequest(code="420502"), timeout=5)
        await stub.GetSite(pb.GetSiteRequest(code="420503"), timeout=5)  # outside any span
    finally:
        await ch.close()
        await srv.stop(0)
    by_id = _by_id(spans)
    served = [s for s in by_id.values() if s.name == "govhall.catalogue.v1.CatalogueService/GetSite"]
    assert len(served) == 2 and all(s.kind == SpanKind.SERVER for s in served)
    inside = next(s for s in served if s.context.trace_id == request.get_span_context().trace_id)
    assert inside.parent.span_id == request.get_span_context().span_id
    outside = next(s for s in served if s is not inside)
    assert outside.parent is None, "a call made outside a trace starts its own at the server"
    works = [s for s in by_id.values() if s.name == "servicer works"]
    assert sorted(_ancestors(s, by_id)[0] for s in works) == [inside.name, outside.name]


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        _Collector.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return None


@pytest.fixture
def collector() -> Iterator[str]:
    _Collector.received = []
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_spans_go_to_the_otlp_endpoint_when_one_is_set(collector: str) -> None:
    assert tracing.provider_from_env("cases", {}) is None, "no endpoint, no exporter: spans stay no-ops"
    assert (
        tracing.provider_from_env(
            "cases", {"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": collector}
        )
        is None
    )
    provider = tracing.provider_from_env("cases", {"OTEL_EXPORTER_OTLP_ENDPOINT": collector + "/"})
    with provider.get_tracer("test").start_as_current_span("SubmitCase"):
        pass
    assert provider.force_flush(10_000)
    provider.shutdown()
    assert [path for path, _ in _Collector.received] == ["/v1/traces"]
    body = _Collector.received[0][1]
    assert b"SubmitCase" in body and b"service.name" in body and b"cases" in body


def test_id_and_mobile_numbers_in_a_url_never_leave_in_a_span() -> None:
    """The exporting provider masks them as the logs do, before any exporter sees the span."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    provider = tracing.provider_from_env("gateway", {"OTEL_TRACES_EXPORTER": "console"})
    seen = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(seen))
    attributes = {"url.path": "/api/v1/verify/420502199001011234", "url.query": "mobile=13812345678&page=2"}
    with provider.get_tracer("test").start_as_current_span(
        "GET /api/v1/verify/{number}", attributes=attributes
    ):
        pass
    (span,) = seen.get_finished_spans()
    provider.shutdown()
    assert span.attributes["url.path"] == "/api/v1/verify/4205**********1234"
    assert span.attributes["url.query"] == "mobile=138****5678&page=2"
