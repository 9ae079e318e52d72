"""How long each JetStream stream keeps its messages: declared once, here, as data.

Two kinds of stream:

- EVENTS: things that happened (a case accepted, a user registered). Kept 14 days (the inbox's
  deduplication window, `eventstore.INBOX_WINDOW`, matches it). A consumer added later does not find
  them all: the publisher's `republish` command sends its current state again.
- STATE: every subject names one entity (`<stem>.<entity>.<what>.<key>`, see
  `govhall.contracts.registry.EventType.key_of`) and carries its current state. Kept with no
  age limit, the last message per subject only: the stream is the publisher's whole current
  state, no bigger than it, and a consumer started at any time reads all of it. A consumer that
  is behind gets an entity's latest state, not every state it went through: state events are
  upserts, and nothing may need the steps between.

Why per stream and not per subject: two streams may not capture overlapping subjects (NATS
refuses the second), so the state subjects of a stem cannot go to a stream of their own beside
the stem's `<stem>.>` stream. So a stem is one kind or the other, and a stem that has state to
keep publishes only keyed state events. The catalogue is that: everything it publishes is the
state of a site, department, matter or article. Cases and identity publish what happened
(transitions, registrations, authorisations, revocations, each consumer wanting every one), so
their streams keep events, and a late consumer of theirs is served by `republish`.

`JetStreamBus` creates a missing stream with these settings and brings an existing one to them at
start (`update_stream` when a setting differs), changing only the fields below: its subjects,
sources (a parent site's catalogue stream sources its children's, see deploy/helm/README.md) and
placement stay as they are.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from types import MappingProxyType
from typing import Any

log = logging.getLogger("govhall.kit.bus")


@dataclass(frozen=True)
class StreamSettings:
    """The retention of one stream. max_age 0 is no age limit; max_msgs_per_subject -1 no limit."""

    max_age: float
    max_msgs_per_subject: int = -1
    # Seconds: an outbox republish of the same event id within this is dropped by the server.
    duplicate_window: float = 600.0

    def differs(self, config: Any) -> bool:
        """Whether a nats-py StreamConfig has other values for these settings."""
        return (
            float(config.max_age or 0) != self.max_age
            or int(config.max_msgs_per_subject if config.max_msgs_per_subject is not None else -1)
            != self.max_msgs_per_subject
            or float(config.duplicate_window or 0) != self.duplicate_window
        )


EVENTS = StreamSettings(max_age=timedelta(days=14).total_seconds())
STATE = StreamSettings(max_age=0, max_msgs_per_subject=1)

# One row per stem (bus.STREAM_STEMS, and the dead-letter stream): what each keeps.
STREAMS: Mapping[str, StreamSettings] = MappingProxyType(
    {
        "identity": EVENTS,
        "catalogue": STATE,
        "cases": EVENTS,
        "appointments": EVENTS,
        "consult": EVENTS,
        "licences": EVENTS,
        # One subject, search.index.changed: the last time search applied a change. A notice for
        # caches, not a history: the last one is all a replica starting needs (bus.broadcast last).
        "search": STATE,
        # Parked messages wait for an operator; 14 days, as the events they came from.
        "deadletter": EVENTS,
    }
)


def settings_for(streams: Mapping[str, StreamSettings], stem: str) -> StreamSettings:
    """A stem without a row keeps events (a test's probe stream, a service not listed yet)."""
    return streams.get(stem, EVENTS)


async def update_stream(js: Any, name: str, config: Any, wanted: StreamSettings) -> None:
    """Bring the existing stream `name` (its nats-py StreamConfig `config`) to `wanted`."""
    # Everything else of the existing config is kept: a parent site's catalogue stream has
    # sources (deploy/helm/README.md) an update without them would drop.
    updated = replace(
        config,
        max_age=wanted.max_age,
        max_msgs_per_subject=wanted.max_msgs_per_subject,
        duplicate_window=wanted.duplicate_window,
    )
    try:
        # A user without STREAM.UPDATE gets no answer at all (a permissions violation): bounded.
        await asyncio.wait_for(js.update_stream(updated), 5)
    except Exception as exc:
        # Not fatal: the stream works, it only keeps more or less than declared. Services'
        # NATS users may not update streams; `python -m govhall.kit.streams` as admin does.
        log.error(
            "stream %s keeps max_age=%s max_msgs_per_subject=%s, declared %s; not updated (%s):"
            " run `python -m govhall.kit.streams` as the admin NATS user",
            name,
            config.max_age,
            config.max_msgs_per_subject,
            wanted,
            type(exc).__name__,
        )
        return
    log.warning("stream %s: settings updated to %s", name, wanted)


async def apply(settings: Any = None) -> None:
    """Create or update every stream to its declared settings, as the configured NATS user (an
    operator runs it as `admin`: services' users may not update streams)."""
    from govhall.kit.bus import JetStreamBus
    from govhall.kit.settings import PlatformSettings

    platform = settings or PlatformSettings()
    if not platform.nats_url:
        raise SystemExit("GOVHALL_NATS_URL is not set: the in-process bus has no streams")
    bus = JetStreamBus(
        platform.nats_url,
        stream_prefix=platform.stream_prefix,
        user=platform.nats_user,
        password=platform.nats_password.get_secret_value() if platform.nats_password else None,
        domain=platform.jetstream_domain,
    )
    await bus.start()
    try:
        await bus.apply_stream_settings()
    finally:
        await bus.close()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(apply())
