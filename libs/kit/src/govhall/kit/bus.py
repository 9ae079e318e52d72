"""The event bus: NATS JetStream in the cluster, an in-process bus in all-in-one mode.

Both give the same guarantees the services rely on: a publish returns only once the bus holds
the message; each durable consumer gets every message at least once, in order of arrival, and
gets it again if its handler fails, up to max_deliver deliveries, after which it is parked in a
dead-letter place (see inprocess.py); a second publish with the same event id is dropped.
Order across a failure is not kept (a failed message comes again after later ones): consumers
of changing aggregates drop stale events by revision (`govhall.kit.ordering.newer_only`).
Consumers stay idempotent with the inbox (see `eventstore.idempotent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol

from govhall.kit import tracing
from govhall.kit.events import Delivery, Event
from govhall.kit.inprocess import (
    CONSUMED,
    DEAD_LETTERED,
    DEFAULT_MAX_DELIVER,
    DeadLetter,
    Handler,
    InProcessBus,
    count_delivery,
    park,
    report_pending,
)
from govhall.kit.streams import STREAMS, StreamSettings, settings_for, update_stream

# Re-exported: services and tests import the in-process bus and its pieces from here.
__all__ = [
    "CONSUMED",
    "DEAD_LETTERED",
    "DeadLetter",
    "EventBus",
    "Handler",
    "InProcessBus",
    "JetStreamBus",
]

log = logging.getLogger(__name__)

# Parked JetStream messages go to <ns>deadletter.<durable> on the stream <prefix>_DEADLETTER.
DEAD_LETTER_STEM = "deadletter"
# Subjects are <stem>.<...>; one JetStream stream per stem.
DEFAULT_STREAM_PREFIX = "GOVHALL"
STREAM_STEMS = ("identity", "catalogue", "cases", "appointments", "consult", "licences", "search")
INBOX_PREFIX = "_INBOX"
# How often each durable consumer's backlog (num_pending) is asked of the server.
PENDING_SAMPLE_SECONDS = 15.0


class EventBus(Protocol):
    async def start(self) -> None: ...
    async def close(self) -> None: ...
    async def publish(self, event: Event) -> None: ...
    async def subscribe(self, durable: str, subject: str, handler: Handler) -> None: ...
    async def broadcast(self, subject: str, handler: Handler, *, last: bool = False) -> None: ...
    def healthy(self) -> bool: ...


class BusRefused(RuntimeError):
    """The bus refused this process's credentials."""


class DurableFilterChanged(RuntimeError):
    """A durable consumer exists with another filter than the one subscribed."""


class JetStreamBus:
    """NATS JetStream: a file-backed stream per subject stem, durable pull consumers.

    Streams are named <prefix>_<STEM>. Two streams may not capture the same subjects, so a
    deployment (or a test run) with a prefix other than the default also namespaces its
    subjects on the wire: `e2eab12.catalogue.matter.published`. Handlers always see the
    subject without the namespace.

    With a JetStream domain (each site instance's NATS has its own, GOVHALL_JETSTREAM_DOMAIN), the
    JetStream API requests go to `$JS.<domain>.API.…`: answered by this site's server only, never
    by another site's across a leaf-node link.

    With a user, the connection authenticates as that user and takes its replies (publish
    acknowledgements, pulled messages) on inboxes `_INBOX.<user>.…`: a service's NATS user may
    subscribe to its own inboxes only, so no service can read what another one pulls.
    """

    def __init__(
        self,
        url: str,
        *,
        stream_prefix: str = DEFAULT_STREAM_PREFIX,
        ack_wait: float = 30.0,
        user: str | None = None,
        password: str | None = None,
        max_deliver: int = DEFAULT_MAX_DELIVER,
        domain: str | None = None,
        streams: Mapping[str, StreamSettings] = STREAMS,
    ) -> None:
        self._url = url
        self._streams = streams
        self._max_deliver = max_deliver
        self._domain = domain or None
        self._user = user
        self._password = password
        self._prefix = stream_prefix
        self._ns = "" if stream_prefix == DEFAULT_STREAM_PREFIX else f"{stream_prefix.lower()}."
        self._subs: list[Any] = []
        self._ack_wait = ack_wait
        # nats-py's client and JetStream context (typed loosely: nats-py ships partial hints).
        self._nc: Any = None
        self._js: Any = None
        self._tasks: list[asyncio.Task[None]] = []
        self._ready_streams: set[str] = set()
        self._stopping = False
        self._durables: list[tuple[str, str]] = []  # (stream, durable) whose backlog is sampled

    def stream_name(self, stem: str) -> str:
        return f"{self._prefix}_{stem.upper()}"

    async def start(self) -> None:
        import nats

        # Without callbacks the client logs an ERROR with a traceback on every reconnect attempt
        # (twice a second per connection) while NATS is away: one line per disconnect, per
        # reconnect, and per distinct error instead.
        last_error: list[str] = [""]
        # The client retries a refused login as it retries an absent server, for ever; at start
        # that is a wrong user or password, which no retry mends: fail then, loudly.
        refused = asyncio.Event()

        async def on_error(exc: Exception) -> None:
            text = f"{type(exc).__name__}: {exc}"
            if self._nc is None and "authorization violation" in text.lower():
                refused.set()
            if text != last_error[0]:
                last_error[0] = text
                log.warning("NATS %s: %s", self._url, text)

        async def on_disconnected() -> None:
            if self._stopping:
                return  # our own close
            log.warning("NATS %s: disconnected; reconnecting (the outbox keeps events meanwhile)", self._url)

        async def on_reconnected() -> None:
            last_error[0] = ""
            log.warning("NATS %s: reconnected", self._url)

        credentials: dict[str, Any] = {}
        if self._user:
            credentials = {
                "user": self._user,
                "password": self._password or "",
                "inbox_prefix": f"{INBOX_PREFIX}.{self._user}",
            }
        connecting = asyncio.ensure_future(
            nats.connect(
                self._url,
                name=f"govhall-{self._user}" if self._user else "govhall",
                **credentials,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                allow_reconnect=True,
                connect_timeout=5,
                error_cb=on_error,
                disconnected_cb=on_disconnected,
                reconnected_cb=on_reconnected,
            )
        )
        watching = asyncio.ensure_future(refused.wait())
        connected = False
        try:
            await asyncio.wait((connecting, watching), return_when=asyncio.FIRST_COMPLETED)
            connected = connecting.done()
        finally:
            watching.cancel()
            if not connecting.done():
                connecting.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await connecting
        if not connected:
            who = f"the user {self._user!r}" if self._user else "a login without credentials"
            raise BusRefused(f"NATS {self._url} refused {who} (GOVHALL_NATS_USER / GOVHALL_NATS_PASSWORD)")
        self._nc = connecting.result()
        self._js = self._nc.jetstream(timeout=10, domain=self._domain)

    def healthy(self) -> bool:
        return bool(self._nc is not None and self._nc.is_connected)

    async def close(self) -> None:
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        # Unsubscribe, then close: drain() would wait on the pull subscriptions' pending
        # fetches after their tasks are gone, and hang. Unacked messages are redelivered.
        for sub in self._subs:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.unsubscribe(), 2)
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.close(), 5)

    async def delete_streams(self) -> None:
        """Remove this prefix's streams (tests and benchmarks clean up after themselves)."""
        for stem in (*STREAM_STEMS, DEAD_LETTER_STEM):
            with contextlib.suppress(Exception):
                await self._js.delete_stream(self.stream_name(stem))
        self._ready_streams.clear()

    async def _ensure_stream(self, stem: str) -> str:
        """Create the stem's stream with its declared settings (`kit.streams`), or bring an
        existing one to them: only those settings change, its subjects and sources stay."""
        from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
        from nats.js.errors import NotFoundError

        name = self.stream_name(stem)
        if name in self._ready_streams:
            return name
        wanted = settings_for(self._streams, stem)
        js = self._js
        try:
            info = await js.stream_info(name)
        except NotFoundError:
            config = StreamConfig(
                name=name,
                subjects=[f"{self._ns}{stem}.>"],
                storage=StorageType.FILE,
                retention=RetentionPolicy.LIMITS,
                discard=DiscardPolicy.OLD,
                max_age=wanted.max_age,
                max_msgs_per_subject=wanted.max_msgs_per_subject,
                duplicate_window=wanted.duplicate_window,
            )
            with contextlib.suppress(Exception):  # another process may have created it just now
                await js.add_stream(config)
            info = await js.stream_info(name)
        if wanted.differs(info.config):
            await update_stream(self._js, name, info.config, wanted)
        self._ready_streams.add(name)
        return name

    async def apply_stream_settings(self, stems: tuple[str, ...] = (*STREAM_STEMS, DEAD_LETTER_STEM)) -> None:
        """Create or update every stem's stream now (the operator's command, tests)."""
        for stem in stems:
            self._ready_streams.discard(self.stream_name(stem))
            await self._ensure_stream(stem)

    async def publish(self, event: Event) -> None:
        await self._ensure_stream(event.stream_stem)
        await self._js.publish(
            self._ns + event.subject,
            event.payload,
            headers=tracing.inject({"Nats-Msg-Id": event.event_id}),
        )

    async def subscribe(self, durable: str, subject: str, handler: Handler) -> None:
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        stream = await self._ensure_stream(subject.split(".", 1)[0])
        config = ConsumerConfig(
            durable_name=durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self._ack_wait,
            max_deliver=self._max_deliver,
            filter_subject=self._ns + subject,
            max_ack_pending=1000,
        )
        await self._bound_deliveries(stream, durable, config)
        sub = await self._js.pull_subscribe(self._ns + subject, durable=durable, stream=stream, config=config)
        self._subs.append(sub)
        self._tasks.append(asyncio.create_task(self._consume(durable, sub, handler), name=f"js-{durable}"))
        self._watch_backlog(stream, durable)

    async def broadcast(self, subject: str, handler: Handler, *, last: bool = False) -> None:
        """Every process (every replica) hears every message on ``subject`` published from now on
        (``last``: first the stream's last message on it, if any, so that replicas started at
        different times agree on where they start).

        For per-process state, such as a cache to invalidate: a durable consumer shared by the
        replicas would give each message to one of them. Each call makes an ephemeral push
        consumer of its own (named, so the create request carries the filter the NATS
        permissions check), delivered to this connection's inbox, unacknowledged: nothing is
        redelivered or dead-lettered, and the server drops the consumer when the process goes.
        A message missed (while disconnected) is missed: use it only where that is bounded
        otherwise (a cache's time to live)."""
        from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

        stream = await self._ensure_stream(subject.split(".", 1)[0])
        config = ConsumerConfig(
            name=f"{self._user or 'govhall'}-{uuid.uuid4().hex[:16]}",
            deliver_policy=DeliverPolicy.LAST if last else DeliverPolicy.NEW,
            ack_policy=AckPolicy.NONE,
            filter_subject=self._ns + subject,
            inactive_threshold=60.0,  # seconds; a backstop for a process that died unsubscribed
        )

        async def on_message(msg: Any) -> None:
            event_id = (msg.headers or {}).get("Nats-Msg-Id", "")
            try:
                await handler(Delivery(msg.subject.removeprefix(self._ns), msg.data, event_id, 1))
            except Exception:
                log.warning("broadcast handler for %s failed on %s", subject, event_id, exc_info=True)

        sub = await self._js.subscribe(
            self._ns + subject, stream=stream, cb=on_message, manual_ack=True, config=config
        )
        self._subs.append(sub)

    def _watch_backlog(self, stream: str, durable: str) -> None:
        """Sample the durable's backlog now and then (one task per bus for all its durables)."""
        if not self._durables:
            self._tasks.append(asyncio.create_task(self._sample_pending_loop(), name="js-pending"))
        self._durables.append((stream, durable))

    async def _sample_pending_loop(self) -> None:
        while not self._stopping:
            await self.sample_pending()
            await asyncio.sleep(PENDING_SAMPLE_SECONDS)

    async def sample_pending(self) -> None:
        """govhall_events_consumer_pending from the server's consumer info (num_pending): what
        the stream holds for the durable that it has not yet been given."""
        for stream, durable in self._durables:
            try:
                info = await self._js.consumer_info(stream, durable)
            except Exception:
                log.debug("consumer info for %s unavailable", durable, exc_info=True)
                continue
            report_pending(durable, info.num_pending or 0)

    async def _bound_deliveries(self, stream: str, durable: str, config: Any) -> None:
        """A durable created before deliveries were bounded (max_deliver -1) keeps retrying a
        poison message for ever: pull_subscribe leaves an existing consumer as it is, so its
        max_deliver is updated here (an editable setting; the rest of its config is ours too).

        Its filter is not: a server before 2.10 takes the edit and then matches nothing (the
        durable would sit silent). A durable whose subject changed (catalogue.site.upserted became
        catalogue.site.upserted.*) must get a new name, so it is refused here, loudly."""
        from nats.js.errors import NotFoundError

        try:
            info = await self._js.consumer_info(stream, durable)
        except NotFoundError:
            return  # pull_subscribe creates it with config
        if info.config.filter_subject != config.filter_subject:
            raise DurableFilterChanged(
                f"durable consumer {durable} on {stream} filters {info.config.filter_subject}, this code"
                f" subscribes it to {config.filter_subject}: give the consumer a new name"
            )
        if info.config.max_deliver != self._max_deliver:
            log.warning(
                "consumer %s: max_deliver %s -> %s", durable, info.config.max_deliver, self._max_deliver
            )
            await self._js.add_consumer(stream, config=replace(config, name=durable))

    async def _consume(self, durable: str, sub: Any, handler: Handler) -> None:
        from nats.errors import TimeoutError as NatsTimeout

        while not self._stopping:
            try:
                msgs = await sub.fetch(batch=64, timeout=1.0)
            except (NatsTimeout, TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("fetch for %s failed; retrying", durable, exc_info=True)
                await asyncio.sleep(0.5)
                continue
            for msg in msgs:
                event_id = (msg.headers or {}).get("Nats-Msg-Id", "")
                attempt = msg.metadata.num_delivered if msg.metadata else 1
                count_delivery(durable, attempt)
                subject = msg.subject.removeprefix(self._ns)
                try:
                    with tracing.consumer_span(durable, subject, event_id, msg.headers, attempt):
                        await handler(Delivery(subject, msg.data, event_id, attempt))
                except Exception as exc:
                    if attempt >= self._max_deliver:
                        await self._park(durable, msg, event_id, attempt, exc)
                        continue
                    CONSUMED.labels(durable, "retry").inc()
                    log.warning(
                        "consumer %s failed on %s (attempt %d); will be redelivered",
                        durable,
                        event_id,
                        attempt,
                        exc_info=True,
                    )
                    with contextlib.suppress(Exception):
                        await msg.nak(delay=min(0.2 * attempt, 5.0))
                    continue
                CONSUMED.labels(durable, "ok").inc()
                try:
                    await msg.ack()
                except Exception:
                    # The handler ran; a redelivery will find the event in the inbox.
                    log.warning("ack for %s failed", event_id, exc_info=True)

    async def _park(self, durable: str, msg: Any, event_id: str, attempt: int, exc: Exception) -> None:
        """Copy a message that failed max_deliver times to the dead-letter stream, then end it.

        Terminated, it is never delivered again, so it no longer holds up the consumer; the copy
        keeps what an operator needs to look at it and republish it."""
        subject = msg.subject.removeprefix(self._ns)
        try:
            await self._ensure_stream(DEAD_LETTER_STEM)
            await self._js.publish(
                f"{self._ns}{DEAD_LETTER_STEM}.{durable}",
                msg.data,
                headers={
                    "Nats-Msg-Id": f"{durable}:{event_id}",
                    "Govhall-Subject": subject,
                    "Govhall-Event-Id": event_id,
                    "Govhall-Deliveries": str(attempt),
                    "Govhall-Error": type(exc).__name__,
                },
            )
        except Exception:
            # The server stops delivering it anyway (max_deliver) and says so in its advisory.
            log.error("dead-lettering %s for %s failed", event_id, durable, exc_info=True)
        park(durable, event_id, subject, attempt)
        with contextlib.suppress(Exception):
            await msg.term()


def create_bus(
    nats_url: str | None,
    *,
    stream_prefix: str = DEFAULT_STREAM_PREFIX,
    user: str | None = None,
    password: str | None = None,
    jetstream_domain: str | None = None,
) -> EventBus:
    if nats_url:
        return JetStreamBus(
            nats_url, stream_prefix=stream_prefix, user=user, password=password, domain=jetstream_domain
        )
    return InProcessBus()
