"""The generic part of an event contract: what a subject carries, and a registry of them.

Depends on protobuf only (see the package docstring for why it lives here).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

M = TypeVar("M", bound=Message)

# A key is one NATS subject token: no dots, wildcards or white space.
_KEY = re.compile(r"^[^.*>\s]{1,128}$")


@dataclass(frozen=True)
class EventType(Generic[M]):
    """One subject and the message it carries.

    `version` is the schema version publishers stamp; raise it when a change would mislead an
    older reader (a field's meaning changes), and older consumers then skip such events instead
    of misreading them. `legacy` is what an envelope with no message type (published before
    types were stamped) meant on this subject, when that was another message.

    A state event (the current state of one entity: a site, a matter) is keyed: `key_of` names
    the entity in the message, and the event goes out on `<subject>.<key>`
    (catalogue.site.upserted.420000). A stream that keeps the last message per subject then holds
    every entity's latest state for as long as the entity exists, and a consumer started at any
    time subscribes to `pattern` (`<subject>.*`) and gets all of them.
    """

    subject: str
    message: type[M]
    version: int = 1
    legacy: type[Message] | None = None
    key_of: Callable[[M], str] | None = None

    @property
    def name(self) -> str:
        """The proto's full name, as stamped in EventMeta.message_type."""
        return str(self.message.DESCRIPTOR.full_name)

    @property
    def keyed(self) -> bool:
        return self.key_of is not None

    @property
    def pattern(self) -> str:
        """What a consumer subscribes to: every key's subject, or the one subject."""
        return f"{self.subject}.*" if self.keyed else self.subject

    def subject_for(self, key: str) -> str:
        """The concrete subject of the entity `key`."""
        if not self.keyed:
            raise ValueError(f"{self.subject} is not keyed")
        if not _KEY.match(key):
            raise ValueError(
                f"{key!r} cannot key {self.subject}: one subject token, no '.', '*', '>' or space"
            )
        return f"{self.subject}.{key}"

    def subject_of(self, message: M) -> str:
        """The subject `message` goes out on (its entity's, when keyed)."""
        return self.subject if self.key_of is None else self.subject_for(self.key_of(message))


class Registry:
    """A service's subjects, each with its one message type. Publishers build events from its
    entries; consumers subscribe to its subjects (`pattern`) and decode with it."""

    def __init__(self, service: str, types: Iterable[EventType[Any]]) -> None:
        self.service = service
        self._by_subject: dict[str, EventType[Any]] = {}
        for kind in types:
            if not kind.subject.startswith(f"{service}."):
                raise ValueError(f"{kind.subject} is not a subject of {service}")
            if kind.subject in self._by_subject:
                raise ValueError(f"{kind.subject} registered twice")
            self._by_subject[kind.subject] = kind

    def get(self, subject: str) -> EventType[Any] | None:
        """The type of a concrete subject: `<subject>`, or `<subject>.<key>` of a keyed one. A
        keyed type's bare subject is what it was published on before it was keyed."""
        kind = self._by_subject.get(subject)
        if kind is not None:
            return kind
        base, _, key = subject.rpartition(".")
        kind = self._by_subject.get(base)
        return kind if kind is not None and kind.keyed and _KEY.match(key) else None

    def __getitem__(self, subject: str) -> EventType[Any]:
        kind = self.get(subject)
        if kind is None:
            raise KeyError(subject)
        return kind

    def __iter__(self) -> Iterator[EventType[Any]]:
        return iter(self._by_subject.values())

    def subjects(self) -> list[str]:
        return list(self._by_subject)

    @property
    def every_subject(self) -> str:
        """What a consumer of all of this service's events subscribes to (`<service>.>`)."""
        return f"{self.service}.>"

    def patterns(self) -> list[str]:
        """What to subscribe to for every subject of this registry."""
        return [kind.pattern for kind in self]
