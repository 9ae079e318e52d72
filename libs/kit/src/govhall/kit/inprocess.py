"""The in-process bus (all-in-one mode and unit tests), and what it shares with JetStream's.

Both buses deliver a message to a consumer at most max_deliver times; a message that failed as
often is parked (DeadLetter) and counted in govhall_events_dead_lettered_total, so a poison
message neither retries for ever nor holds up the messages behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from prometheus_client import Counter, Gauge

from govhall.kit import tracing
from govhall.kit.events import Delivery, Event

log = logging.getLogger("govhall.kit.bus")

Handler = Callable[[Delivery], Awaitable[None]]

CONSUMED = Counter("govhall_events_consumed_total", "Events handled by consumers", ["consumer", "outcome"])
DEAD_LETTERED = Counter(
    "govhall_events_dead_lettered_total", "Messages parked after max_deliver failed deliveries", ["consumer"]
)

REDELIVERED = Counter(
    "govhall_events_redelivered_total", "Deliveries that were redeliveries (delivered before)", ["consumer"]
)
CONSUMER_PENDING = Gauge(
    "govhall_events_consumer_pending",
    "Messages of the durable consumer not yet delivered (JetStream: sampled num_pending)",
    ["consumer"],
)

# Deliveries of one message to one consumer before it is parked in the dead-letter place.
DEFAULT_MAX_DELIVER = 10
# Parked JetStream messages go to <ns>deadletter.<durable> on the stream <prefix>_DEADLETTER.
DEAD_LETTER_STEM = "deadletter"


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` is one token, `>` the rest."""
    p, s = pattern.split("."), subject.split(".")
    for i, tok in enumerate(p):
        if tok == ">":
            return len(s) > i
        if i >= len(s) or (tok != "*" and tok != s[i]):
            return False
    return len(p) == len(s)


@dataclass(frozen=True)
class DeadLetter:
    """A message a consumer failed on max_deliver times, parked instead of retried for ever."""

    consumer: str
    subject: str
    payload: bytes
    event_id: str
    deliveries: int
    error: str


def park(durable: str, event_id: str, subject: str, attempt: int) -> None:
    DEAD_LETTERED.labels(durable).inc()
    CONSUMED.labels(durable, "dead_letter").inc()
    log.error("consumer %s parked %s (%s) after %d deliveries", durable, event_id, subject, attempt)


def count_delivery(durable: str, attempt: int) -> None:
    """A delivery to a consumer; the second and later of one message are redeliveries."""
    if attempt > 1:
        REDELIVERED.labels(durable).inc()


def report_pending(durable: str, pending: int) -> None:
    CONSUMER_PENDING.labels(durable).set(pending)


class _Queue:
    """One consumer of the in-process bus: its own queue, worked by its own task."""

    def __init__(self, pattern: str, handler: Handler) -> None:
        self.pattern = pattern
        self.handler = handler
        # Each message with the publisher's trace context, as NATS carries it in its headers.
        self.queue: asyncio.Queue[tuple[Event, asyncio.Future[None], dict[str, str]]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None


class InProcessBus:
    """A bus inside one process, for all-in-one mode and unit tests.

    Each consumer has its own queue and task: a publish puts the message on every matching
    consumer's queue and returns once each has applied it, so the handler runs in the consumer's
    task, never inside the publisher's (whose relay holds no transaction meanwhile either). If a
    handler fails, the publish fails and the relay keeps the outbox row for another try
    (consumers that had succeeded see it again and skip it by their inbox); on the max_deliver-th
    failure the message is parked in `dead_letters` and the publish succeeds. So the outbox is
    the durable copy, and nothing is lost when the process dies.
    """

    def __init__(self, *, max_deliver: int = DEFAULT_MAX_DELIVER) -> None:
        self._subs: dict[str, _Queue] = {}
        self._broadcasts: list[tuple[str, asyncio.Queue[Event], asyncio.Task[None]]] = []
        self._attempts: dict[tuple[str, str], int] = {}
        self._max_deliver = max_deliver
        self.dead_letters: list[DeadLetter] = []

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        broadcasts, self._broadcasts = self._broadcasts, []
        for _, _, task in broadcasts:
            task.cancel()
        for _, _, task in broadcasts:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        subs, self._subs = list(self._subs.values()), {}
        for sub in subs:
            if sub.task:
                sub.task.cancel()
        for sub in subs:
            if sub.task:
                with contextlib.suppress(asyncio.CancelledError):
                    await sub.task
            while not sub.queue.empty():
                _, waiting, _ = sub.queue.get_nowait()
                if not waiting.done():
                    waiting.set_exception(RuntimeError("bus closed"))

    def healthy(self) -> bool:
        return True

    async def publish(self, event: Event) -> None:
        loop = asyncio.get_running_loop()
        waiting: list[asyncio.Future[None]] = []
        headers = tracing.inject({})
        for durable, sub in list(self._subs.items()):
            if matches(sub.pattern, event.subject):
                applied: asyncio.Future[None] = loop.create_future()
                sub.queue.put_nowait((event, applied, headers))
                report_pending(durable, sub.queue.qsize())
                waiting.append(applied)
        for pattern, queue, _ in self._broadcasts:
            if matches(pattern, event.subject):
                queue.put_nowait(event)  # not awaited: a broadcast is best effort, like NATS's
        results = await asyncio.gather(*waiting, return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            raise failures[0]

    async def _work(self, durable: str, sub: _Queue) -> None:
        while True:
            event, applied, headers = await sub.queue.get()
            report_pending(durable, sub.queue.qsize())
            key = (durable, event.event_id)
            attempt = self._attempts.get(key, 0) + 1
            count_delivery(durable, attempt)
            try:
                with tracing.consumer_span(durable, event.subject, event.event_id, headers, attempt):
                    await sub.handler(Delivery(event.subject, event.payload, event.event_id, attempt))
            except asyncio.CancelledError:
                # The bus is closing mid-handler: the publisher must not wait for ever.
                if not applied.done():
                    applied.set_exception(RuntimeError("bus closed"))
                raise
            except Exception as exc:
                if attempt >= self._max_deliver:
                    self._attempts.pop(key, None)
                    self.dead_letters.append(
                        DeadLetter(durable, event.subject, event.payload, event.event_id, attempt, repr(exc))
                    )
                    park(durable, event.event_id, event.subject, attempt)
                    if not applied.done():
                        applied.set_result(None)
                    continue
                self._attempts[key] = attempt
                CONSUMED.labels(durable, "retry").inc()
                log.warning(
                    "consumer %s failed on %s (attempt %d)", durable, event.event_id, attempt, exc_info=True
                )
                if not applied.done():
                    applied.set_exception(exc)
                continue
            self._attempts.pop(key, None)
            CONSUMED.labels(durable, "ok").inc()
            if not applied.done():
                applied.set_result(None)

    async def subscribe(self, durable: str, subject: str, handler: Handler) -> None:
        if durable in self._subs:
            raise ValueError(f"durable consumer {durable} already subscribed")
        sub = _Queue(subject, handler)
        report_pending(durable, 0)
        sub.task = asyncio.create_task(self._work(durable, sub), name=f"inprocess-{durable}")
        self._subs[durable] = sub

    async def broadcast(self, subject: str, handler: Handler, *, last: bool = False) -> None:
        """Every subscriber hears every message published from now on (see JetStreamBus.broadcast):
        its own queue and task, no retries, no dead letters; the publisher does not wait for it.
        ``last`` has nothing to replay here: the bus keeps no messages, and its one process has
        no other replica to agree with."""
        queue: asyncio.Queue[Event] = asyncio.Queue()

        async def work() -> None:
            while True:
                event = await queue.get()
                try:
                    await handler(Delivery(event.subject, event.payload, event.event_id, 1))
                except Exception:
                    log.warning(
                        "broadcast handler for %s failed on %s", subject, event.event_id, exc_info=True
                    )

        self._broadcasts.append(
            (subject, queue, asyncio.create_task(work(), name=f"inprocess-broadcast-{subject}"))
        )
