"""What the inbox says for an event: the templates (data, inbox_templates.json) and the fields
they are filled from.

A template is keyed by the subject the event was published on. Its placeholders are the event
message's own top-level strings and numbers by field name ({matter_name}, {case_number},
{letter_number}), the fields of its `notice` (a common.v1.UserNotice, which appointments and
licences put in their events so they only publish), and these derived ones:

- {number}: the case number once accepted, else the application number (申报号);
- {supplement_list}: the supplement's items, "营业执照：复印件不清晰；经营场所证明：缺少";
- {kind_name}: a letter's kind in Chinese (咨询, 投诉, 建议);
- {result_line}: "，办理结果：<result name>" when a case concluded with one, else "".

A placeholder the event lacks is left empty rather than failing the consumer; the tests check
every template's placeholders against its message so none is misspelt.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from govhall.consult.access import OWNER_KINDS, Owner
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import events_pb2

TEMPLATES_FILE = Path(__file__).with_name("inbox_templates.json")
TITLE_MAX, SMS_MAX = 200, 500
DERIVED = ("number", "supplement_list", "kind_name", "result_line")
LETTER_KINDS = {"consultation": "咨询", "complaint": "投诉", "suggestion": "建议"}
_SCALARS = {
    FieldDescriptor.CPPTYPE_STRING,
    FieldDescriptor.CPPTYPE_INT32,
    FieldDescriptor.CPPTYPE_INT64,
    FieldDescriptor.CPPTYPE_UINT32,
    FieldDescriptor.CPPTYPE_UINT64,
}


@dataclass(frozen=True)
class Template:
    subject: str
    title: str
    body: str
    link_kind: str
    link_id: str
    sms: str = ""

    def placeholders(self) -> set[str]:
        names = set()
        for text in (self.title, self.body, self.link_id, self.sms):
            names |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
        return names


@dataclass(frozen=True)
class Rendered:
    title: str
    body: str
    link_kind: str
    link_id: str
    sms: str


def load(path: Path = TEMPLATES_FILE) -> dict[str, Template]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    out = {}
    for subject, t in raw.items():
        if subject.startswith("_"):
            continue
        link_kind, link_id = t["link"]
        out[subject] = Template(subject, t["title"], t["body"], link_kind, link_id, t.get("sms", ""))
    return out


@cache
def templates() -> dict[str, Template]:
    return load()


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(template: Template, fields: Mapping[str, str]) -> Rendered:
    values = _Blank(fields)
    return Rendered(
        title=template.title.format_map(values)[:TITLE_MAX],
        body=template.body.format_map(values),
        link_kind=template.link_kind,
        link_id=template.link_id.format_map(values)[:64],
        sms=template.sms.format_map(values)[:SMS_MAX],
    )


def _scalars(message: Message) -> dict[str, str]:
    return {
        f.name: str(getattr(message, f.name))
        for f in message.DESCRIPTOR.fields
        if f.cpp_type in _SCALARS and not f.is_repeated
    }


def fields_of(message: Message) -> dict[str, str]:
    """Every placeholder value the event gives (see the module's docstring)."""
    fields = _scalars(message)
    if isinstance(message, cases_pb2.CaseChanged):
        fields["number"] = message.case_number or message.application_number
        fields["supplement_list"] = "；".join(
            f"{i.name or i.material or i.field}：{i.problem}" for i in message.supplement_items
        )
        fields["result_line"] = f"，办理结果：{message.result_name}" if message.result_name else ""
    elif isinstance(message, events_pb2.LetterChanged):
        fields["kind_name"] = LETTER_KINDS.get(message.kind, "来信")
    notice = _notice(message)
    if notice is not None:
        fields.update(_scalars(notice))
    return fields


def _notice(message: Message) -> common_pb2.UserNotice | None:
    field = message.DESCRIPTOR.fields_by_name.get("notice")
    if field is None or field.message_type is not common_pb2.UserNotice.DESCRIPTOR:
        return None
    notice: common_pb2.UserNotice = getattr(message, "notice")  # noqa: B009 - a Message has no typed .notice
    return notice


def _owner(kind: Any, subject: str) -> Owner | None:
    name = OWNER_KINDS.get(kind) if not isinstance(kind, str) else kind
    if name not in ("person", "legal_person") or not subject:
        return None
    return Owner(name, subject)


def owner_of(message: Message) -> Owner | None:
    """Whom the event concerns: the applicant, writer or reporter, or the notice's recipient;
    None for an event that concerns nobody (an anonymous letter): it makes no message."""
    if isinstance(message, cases_pb2.CaseChanged):
        return _owner(message.applicant.kind, message.applicant.subject)
    if isinstance(message, events_pb2.LetterChanged):
        return _owner(message.writer.kind, message.writer.subject)
    if isinstance(message, events_pb2.RectificationChanged):
        return _owner(message.applicant.kind, message.applicant.subject)
    if isinstance(message, events_pb2.ErrorReportChanged):
        return _owner(message.reporter.kind, message.reporter.subject)
    if isinstance(message, events_pb2.EvaluationChanged):
        return _owner(message.rater.kind, message.rater.subject)
    notice = _notice(message)
    if notice is not None:
        return _owner(notice.recipient_kind, notice.recipient_subject)
    return None
