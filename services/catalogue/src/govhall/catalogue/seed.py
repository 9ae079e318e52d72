"""Seed data for a site instance, read from a directory of JSON files and loaded through the catalogue's API.

A seed directory holds (the demo province in `seed/hubei/` is the example to copy):

- `sites.json`: `[{code, name, level: province|city|county, parent_code, hall, hours}]` (GB/T 2260);
- `departments.json`: `[{code, site_code, name, window, phone}]`;
- `licence_types.json`: `{licence name: type code}` (证照目录), optional;
- `kinds/<key>.json`: one kind of matter each: the part of a guide that is the same wherever it
  is handled (materials, situations and steps in the catalogue contract's JSON form, the
  application form as a JSON Schema object, places with `{hall}`, `{site}`, `{window}` and
  `{hours}` filled in per site);
- `matters.json`: `[{site_code, department_code, serial, kind}]`: matter code
  `<department code>-<4-digit serial>`;
- `articles.json`: `[{key, kind: announcement|faq, site_code, title, body, publish_at?,
  days_ahead?, department_code?, matter_code?}]`.

`govhall.catalogue.seedloader` loads a seed into a running catalogue through its API.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

BEIJING = timezone(timedelta(hours=8))
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_LEVELS = {"province": pb.SITE_LEVEL_PROVINCE, "city": pb.SITE_LEVEL_CITY, "county": pb.SITE_LEVEL_COUNTY}
_ARTICLE_KINDS = {"announcement": pb.ARTICLE_KIND_ANNOUNCEMENT, "faq": pb.ARTICLE_KIND_FAQ}
# Article ids are fixed (UUIDs derived from the article's key) so that loading again finds them.
_ARTICLE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://govhall.example/demo/articles")


class SeedError(ValueError):
    """A seed file is missing, not JSON, or names something that does not exist."""


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    level: pb.SiteLevel.ValueType
    parent_code: str
    hall: str  # 政务服务中心
    hours: str


@dataclass(frozen=True)
class Department:
    code: str
    site_code: str
    name: str
    window: str  # where in the site's hall it receives applications
    phone: str


@dataclass(frozen=True)
class Step:
    code: str
    name: str
    role: str
    days: int
    description: str

    def message(self) -> pb.ProcessStep:
        return pb.ProcessStep(
            code=self.code,
            name=self.name,
            role=self.role,
            time_limit_days=self.days,
            description=self.description,
        )


@dataclass(frozen=True)
class Place:
    """Where a kind of matter is handled; {hall}, {site}, {window} and {hours} are filled per site."""

    name: str = "{hall}"
    window: str = "{window}"
    hours: str = "{hours}"


HALL = Place()


@dataclass(frozen=True)
class Kind:
    """A kind of matter: the part of a guide that is the same wherever the matter is handled."""

    name: str
    type: pb.MatterType.ValueType
    audiences: tuple[pb.Audience.ValueType, ...]
    base_code: str  # 基本编码: type (2) + main item (5) + sub-item (3) + "00"
    promised: int
    legal: int  # 0: no statutory limit
    unit: common_pb2.TimeLimitUnit.ValueType
    online: bool
    depth: int  # 网上办理深度 1-4
    visits: int  # 到办事现场次数 0-2
    appointment: bool
    express: bool
    result: str
    themes: tuple[str, ...]
    life_events: tuple[str, ...]
    sub_audiences: tuple[str, ...]
    conditions: str
    process: str
    legal_basis: str
    notice: str  # what this kind adds to the usual 申报须知
    special_procedure: str
    steps: tuple[Step, ...]
    materials: tuple[pb.Material, ...]
    situations: tuple[pb.Situation, ...]
    fees: tuple[pb.FeeItem, ...]
    form: str  # the JSON Schema of the application form, as the catalogue stores it
    places: tuple[Place, ...]

    @property
    def handling_type(self) -> pb.HandlingType.ValueType:
        return pb.HANDLING_TYPE_INSTANT if self.promised == 0 else pb.HANDLING_TYPE_PROMISED

    def notice_text(self) -> str:
        """申报须知: the usual advice for online applications, then what is particular to the kind."""
        if not self.online:
            lines = ["本事项须本人到现场办理，可先通过湖北政务服务网或“鄂汇办”APP预约并在线预填信息。"]
        else:
            lines = [
                "网上申报前请登录湖北政务服务网或“鄂汇办”APP完成实名认证；法人事项由法定代表人或经授权的经办人申报。",
                "请按材料清单逐项上传清晰、完整的电子材料（PDF、JPG、PNG或OFD格式）；"
                "来源为电子证照或部门共享的材料由系统自动调取，无需上传。",
                "提交后可在“我的办件”查看受理和办理进度；材料需要补正的，将一次性告知需要补正的全部内容。",
            ]
            if self.visits == 0:
                lines.append("本事项全程网办，无需到办事现场。")
            else:
                lines.append(f"本事项需到办事现场{self.visits}次（核验原件或领取结果）。")
        if self.express:
            lines.append("办理结果可选择免费邮寄送达。")
        if self.notice:
            lines.append(self.notice)
        return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


@dataclass(frozen=True)
class Matter:
    code: str
    site: Site
    department: Department
    kind_key: str
    kind: Kind

    @property
    def site_code(self) -> str:
        return self.site.code

    @property
    def department_code(self) -> str:
        return self.department.code

    @property
    def name(self) -> str:
        return self.kind.name

    def places(self) -> list[pb.ServicePlace]:
        site, dept = self.site, self.department
        values = {"hall": site.hall, "site": site.name, "window": dept.window, "hours": site.hours}
        return [
            pb.ServicePlace(
                name=place.name.format(**values),
                window=place.window.format(**values),
                hours=place.hours.format(**values),
                phone=dept.phone,
            )
            for place in self.kind.places
        ]

    def draft(self) -> pb.MatterDraft:
        kind, dept = self.kind, self.department
        return pb.MatterDraft(
            name=kind.name,
            department_code=dept.code,
            audiences=list(kind.audiences),
            type=kind.type,
            promised_limit=common_pb2.TimeLimit(value=kind.promised, unit=kind.unit),
            legal_limit=common_pb2.TimeLimit(value=kind.legal, unit=kind.unit),
            online_application=kind.online,
            guide=pb.Guide(
                acceptance_conditions=kind.conditions,
                process=kind.process,
                legal_basis=kind.legal_basis,
                consult_phone=f"{dept.phone}（{dept.name}）；12345政务服务便民热线",
                complaint_phone="12345（政务服务便民热线）",
                notice=kind.notice_text(),
                special_procedure=kind.special_procedure,
            ),
            base_code=kind.base_code,
            sub_audiences=list(kind.sub_audiences),
            themes=list(kind.themes),
            life_events=list(kind.life_events),
            handling_type=kind.handling_type,
            fees=pb.FeeSchedule(charged=bool(kind.fees), items=list(kind.fees)),
            steps=[step.message() for step in kind.steps],
            materials=list(kind.materials),
            situations=list(kind.situations),
            form_schema=kind.form,
            places=self.places(),
            online_depth=kind.depth,
            visits=kind.visits,
            appointment=kind.appointment,
            express_delivery=kind.express,
            result_name=kind.result,
        )

    def create_request(self) -> pb.CreateMatterRequest:
        return pb.CreateMatterRequest(code=self.code, site_code=self.site.code, draft=self.draft())


@dataclass(frozen=True)
class Article:
    key: str
    kind: pb.ArticleKind.ValueType
    site_code: str
    title: str
    body: str
    # The publish date shown (Beijing time); None: the moment it is published.
    publish_at: datetime | None = None
    # Days after loading when it becomes public: an announcement scheduled ahead.
    days_ahead: int = 0
    department_code: str = ""
    matter_code: str = ""

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_ARTICLE_NAMESPACE, self.key))

    def publish_time(self, now: datetime) -> datetime | None:
        if self.days_ahead:
            day = (now.astimezone(BEIJING) + timedelta(days=self.days_ahead)).date()
            return datetime(day.year, day.month, day.day, 9, 0, tzinfo=BEIJING)
        return self.publish_at

    def save_request(self, now: datetime) -> pb.SaveArticleRequest:
        request = pb.SaveArticleRequest(
            id=self.id,
            kind=self.kind,
            site_code=self.site_code,
            department_code=self.department_code,
            matter_code=self.matter_code,
            title=self.title,
            body=self.body,
        )
        when = self.publish_time(now)
        if when is not None:
            stamp = Timestamp()
            stamp.FromDatetime(when.astimezone(UTC))
            request.publish_at.CopyFrom(stamp)
        return request


@dataclass(frozen=True)
class Seed:
    sites: tuple[Site, ...]
    departments: tuple[Department, ...]
    kinds: dict[str, Kind]
    matters: tuple[Matter, ...]
    articles: tuple[Article, ...]
    licence_types: dict[str, str] = field(default_factory=dict)

    def matter_requests(self) -> list[pb.CreateMatterRequest]:
        """A CreateMatter request for every matter, in a stable order."""
        return [matter.create_request() for matter in self.matters]


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise SeedError(f"{path}: missing") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise SeedError(f"{path}: not JSON ({err})") from err


def _messages(items: list[dict[str, Any]], message: type[Any], where: str) -> tuple[Any, ...]:
    try:
        return tuple(json_format.ParseDict(item, message()) for item in items)
    except json_format.ParseError as err:
        raise SeedError(f"{where}: {err}") from err


def _kind(path: Path) -> Kind:
    d = _read(path)
    try:
        form = d.get("form")
        return Kind(
            name=d["name"],
            type=pb.MatterType.Value(d["type"]),
            audiences=tuple(pb.Audience.Value(a) for a in d["audiences"]),
            base_code=d["base_code"],
            promised=int(d["promised"]),
            legal=int(d["legal"]),
            unit=common_pb2.TimeLimitUnit.Value(d.get("unit", "TIME_LIMIT_UNIT_WORKING_DAY")),
            online=bool(d["online"]),
            depth=int(d["depth"]),
            visits=int(d["visits"]),
            appointment=bool(d.get("appointment", False)),
            express=bool(d.get("express", False)),
            result=d["result"],
            themes=tuple(d.get("themes", ())),
            life_events=tuple(d.get("life_events", ())),
            sub_audiences=tuple(d.get("sub_audiences", ())),
            conditions=d["conditions"],
            process=d["process"],
            legal_basis=d["legal_basis"],
            notice=d.get("notice", ""),
            special_procedure=d.get("special_procedure", ""),
            steps=tuple(Step(**step) for step in d["steps"]),
            materials=_messages(d["materials"], pb.Material, f"{path}: materials"),
            situations=_messages(d.get("situations", []), pb.Situation, f"{path}: situations"),
            fees=_messages(d.get("fees", []), pb.FeeItem, f"{path}: fees"),
            form=json.dumps(form, ensure_ascii=False) if form else "",
            places=tuple(Place(**place) for place in d.get("places", [{}])),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise SeedError(f"{path}: {err!r}") from err


def read_seed(directory: Path) -> Seed:
    """Read a seed directory (see the module docstring); SeedError names the file and what is wrong."""
    try:
        sites = tuple(
            Site(s["code"], s["name"], _LEVELS[s["level"]], s.get("parent_code", ""), s["hall"], s["hours"])
            for s in _read(directory / "sites.json")
        )
        departments = tuple(Department(**d) for d in _read(directory / "departments.json"))
    except (KeyError, TypeError) as err:
        raise SeedError(f"{directory}: sites or departments: {err!r}") from err
    kinds = {path.stem: _kind(path) for path in sorted((directory / "kinds").glob("*.json"))}
    sites_by_code = {site.code: site for site in sites}
    departments_by_code = {dept.code: dept for dept in departments}
    matters: list[Matter] = []
    for entry in _read(directory / "matters.json"):
        try:
            dept = departments_by_code[entry["department_code"]]
            matters.append(
                Matter(
                    f"{dept.code}-{int(entry['serial']):04d}",
                    sites_by_code[entry["site_code"]],
                    dept,
                    entry["kind"],
                    kinds[entry["kind"]],
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SeedError(f"{directory / 'matters.json'}: {entry}: unknown {err}") from err
    articles: list[Article] = []
    for a in _read(directory / "articles.json") if (directory / "articles.json").exists() else []:
        try:
            articles.append(
                Article(
                    key=a["key"],
                    kind=_ARTICLE_KINDS[a["kind"]],
                    site_code=a["site_code"],
                    title=a["title"],
                    body=a["body"],
                    publish_at=datetime.fromisoformat(a["publish_at"]) if "publish_at" in a else None,
                    days_ahead=int(a.get("days_ahead", 0)),
                    department_code=a.get("department_code", ""),
                    matter_code=a.get("matter_code", ""),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise SeedError(f"{directory / 'articles.json'}: {a.get('key')}: {err!r}") from err
    licences = directory / "licence_types.json"
    return Seed(
        sites,
        departments,
        kinds,
        tuple(matters),
        tuple(articles),
        _read(licences) if licences.exists() else {},
    )
