"""The generic part of an event contract: what a subject carries, and a registry of them.

Depends on protobuf only (see the package docstring for why it lives here).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from google.protobuf.message import Message

M = TypeVar("M", bound=Message)


@dataclass(frozen=True)
class EventType(Generic[M]):
    """One subject and the message it carries.

    `version` is the schema version publishers stamp; raise it when a change would mislead an
    older reader (a field's meaning changes), and older consumers then skip such events instead
    of misreading them. `legacy` is what an envelope with no message type (published before
    types were stamped) meant on this subject, when that was another message.
    """

    subject: str
    message: type[M]
    version: int = 1
    legacy: type[Message] | None = None

    @property
    def name(self) -> str:
        """The proto's full name, as stamped in EventMeta.message_type."""
        return str(self.message.DESCRIPTOR.full_name)


class Registry:
    """A service's subjects, each with its one message type. Publishers build events from its
    entries; consumers subscribe to its subjects and decode with it."""

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
        return self._by_subject.get(subject)

    def __getitem__(self, subject: str) -> EventType[Any]:
        return self._by_subject[subject]

    def __iter__(self) -> Iterator[EventType[Any]]:
        return iter(self._by_subject.values())

    def subjects(self) -> list[str]:
        return list(self._by_subject)
