"""growth.py's data: cases rows as the service writes them, copied in bulk.

A few template records are made by the service's own code (``values.new_case`` as CreateDraft
makes a draft, the model's transitions as SubmitCase and HandleCase make the rest, the clock
columns as ``workflow.record`` sets them, ``store``'s column mapping); each loaded row is one of
them with its own id, applicant, site, department, numbers, dates and query-password hash.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from govhall.cases import commands, store, values
from govhall.cases.records import Application, CaseRecord
from govhall.cases.workflow import clock_columns, perform, query_hash
from govhall.kit.workdays import default_calendar
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2 as C

PROVINCE = "420000"
CITIES = [f"42{c:02d}00" for c in range(1, 11)]
SITES = [f"{city[:4]}{n:02d}" for city in CITIES for n in range(1, 11)]  # 100 counties
DEPARTMENTS = ("SCJG", "MZJ", "GAJ", "RSJ", "ZJJ")
MATTERS_PER_DEPARTMENT = 4
CASES_PER_APPLICANT = 4
# The mix of a province some years in: most cases concluded, a few open, a few drafts.
#: Calendar days after its conclusion that the sweep finds a case's evaluation period passed.
EVALUATION_DAYS = timedelta(days=25)
MIX = (("draft", 5), ("submitted", 10), ("review", 10), ("concluded", 75))
PASSWORD = "GROWTH20"
BATCH = 20_000
SAMPLE = 10_000


def _matter(site: str, dept: str, code: str) -> cat.Matter:
    """A published matter version shaped as the catalogue's (form, materials, steps, limits)."""
    schema = {
        "type": "object",
        "title": "食品经营许可申请表",
        "properties": {
            "shop_name": {"type": "string", "title": "经营者名称", "minLength": 2, "maxLength": 100},
            "address": {"type": "string", "title": "经营场所", "minLength": 4},
            "mobile": {"type": "string", "title": "联系电话", "pattern": "^1[3-9][0-9]{9}$"},
        },
        "required": ["shop_name", "address", "mobile"],
    }
    limit = C.TimeLimit
    return cat.Matter(
        code=code,
        site_code=site,
        version=1,
        department_name=f"{site}{dept}局",
        draft=cat.MatterDraft(
            name="食品经营许可（仅销售预包装食品备案除外）",
            department_code=f"{site}-{dept}",
            audiences=[cat.AUDIENCE_PERSON],
            type=cat.MATTER_TYPE_LICENSING,
            promised_limit=limit(value=10, unit=C.TIME_LIMIT_UNIT_WORKING_DAY),
            legal_limit=limit(value=20, unit=C.TIME_LIMIT_UNIT_WORKING_DAY),
            online_application=True,
            handling_type=cat.HANDLING_TYPE_PROMISED,
            guide=cat.Guide(notice="申请人应如实提交有关材料，并对申请材料实质内容的真实性负责。"),
            steps=[
                cat.ProcessStep(code="accept", name="受理", role="window_clerk"),
                cat.ProcessStep(code="first", name="初审", role="reviewer"),
                cat.ProcessStep(code="decide", name="决定", role="approver"),
            ],
            materials=[
                cat.Material(code="M01", name="申请书", necessity=1, form=cat.MATERIAL_FORM_ELECTRONIC),
                cat.Material(
                    code="M02", name="经营场所平面图", necessity=1, form=cat.MATERIAL_FORM_ELECTRONIC
                ),
            ],
            form_schema=json.dumps(schema, ensure_ascii=False),
            result_name="食品经营许可证",
        ),
    )


def templates(now: datetime) -> dict[str, dict[str, Any]]:
    """One row per stage, as the service writes it (store's column mapping)."""
    matter = _matter(SITES[0], DEPARTMENTS[0], f"{SITES[0]}-{DEPARTMENTS[0]}-0001")
    draft = matter.draft
    applicant = values.Applicant(values.ApplicantKind.PERSON, "person-0", "张三")
    case = values.new_case(
        case_id=str(uuid.uuid4()),
        site_code=SITES[0],
        department_code=draft.department_code,
        matter_code=matter.code,
        matter_name=draft.name,
        applicant=applicant,
        steps=[values.Step.from_proto(s) for s in draft.steps],
        promised_limit=values.TimeLimit.from_proto(draft.promised_limit),
        legal_limit=values.TimeLimit.from_proto(draft.legal_limit),
        now=now,
    )
    form = json.dumps(
        {"shop_name": "西陵区老张面馆", "address": "宜昌市西陵区夷陵大道1号", "mobile": "13912345678"}
    )
    rec = CaseRecord(
        case=replace(case, revision=1),
        site_code=SITES[0],
        matter_site_code=matter.site_code,
        matter_version=1,
        matter_type=int(draft.type),
        department_name=matter.department_name,
        agent_subject="",
        application=Application(form, (), {"method": "DELIVERY_METHOD_PICK_UP"}, {}),
        matter=matter.SerializeToString(),
        warning_level="none",
        due_date=None,
        on_time=None,
        working_days_used=None,
        create_key=None,
        submit_key=None,
        create_fingerprint=None,
        query_hash="",
        query_failures=0,
        query_locked_until=None,
        loaded_revision=1,
    )
    calendar = default_calendar()
    person = values.Actor.person("person-0", "张三")
    staff = values.Actor.staff(
        "staff-1", {"window_clerk", "reviewer", "approver"}, SITES[0], draft.department_code
    )
    out = {"draft": store._values(rec)}
    steps: list[tuple[str, Any, values.Actor]] = [
        ("submitted", commands.Submit("SB"), person),
        ("review", commands.Accept("N"), staff),
        ("", commands.CompleteStep(commands.StepOutcome.PASS), staff),
        ("concluded", commands.Conclude(commands.Decision.APPROVED), staff),
    ]
    for stage, command, actor in steps:
        now += timedelta(days=1)
        case = perform(rec, command, actor, now).case
        rec = replace(rec, case=case)
        rec = replace(rec, **clock_columns(case, now, calendar, rec.warning_level))
        if stage:
            out[stage] = store._values(rec)
    # What the clock sweep's end_periods makes of a concluded case once its evaluation period
    # (15 working days) has passed unrated: evaluated, never to change again.
    now += EVALUATION_DAYS
    case = perform(rec, commands.EvaluationPeriodEnded(), values.Actor.system("clock-sweep"), now).case
    out["evaluated"] = store._values(replace(rec, case=case))
    return out


class GrowthData:
    """The cases table grown to a size by COPY, and random callers' keys into it."""

    password = PASSWORD

    def __init__(self, url: str, *, seed: int, now: datetime) -> None:
        self.dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        self.rng = random.Random(seed)
        self.now = now
        self.size = 0
        self.seen = 0
        self.numbers: list[str] = []  # a sample of submitted cases' application numbers
        self.templates = templates(now - timedelta(days=30))
        self.stages = [stage for stage, weight in MIX for _ in range(weight)]

    async def prepare(self) -> None:
        """Cases' copy of the site tree (what statistics read a site's subtree from)."""
        # A path is the ancestors' codes root-first, ending with the site's own (sitecopy.py).
        rows = [(PROVINCE, "省", 1, PROVINCE)]
        rows += [(c, f"市{c}", 2, f"{PROVINCE},{c}") for c in CITIES]
        rows += [(s, f"县{s}", 3, f"{PROVINCE},{s[:4]}00,{s}") for s in SITES]
        conn = await asyncpg.connect(self.dsn)
        try:
            await conn.copy_records_to_table("sites", records=rows, columns=["code", "name", "level", "path"])
        finally:
            await conn.close()

    def applicant(self, rng: random.Random) -> str:
        return f"person-{rng.randrange(max(1, self.size // CASES_PER_APPLICANT))}"

    def department(self, rng: random.Random) -> tuple[str, str]:
        site = rng.choice(SITES)
        return site, f"{site}-{rng.choice(DEPARTMENTS)}"

    def submitted_number(self, rng: random.Random) -> str:
        return rng.choice(self.numbers)

    def _row(self, n: int, columns: list[str]) -> tuple[Any, ...]:
        rng = self.rng
        stage = self.stages[n % len(self.stages)]
        site = SITES[rng.randrange(len(SITES))]
        dept = DEPARTMENTS[rng.randrange(len(DEPARTMENTS))]
        case_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        # Submissions spread over two years; each later stage a few days after the last.
        submitted = self.now - timedelta(days=rng.randrange(730), seconds=rng.randrange(86400))
        if stage == "concluded" and submitted < self.now - timedelta(days=10) - EVALUATION_DAYS:
            stage = "evaluated"  # its evaluation period long passed (the sweep moved it)
        row = dict(self.templates[stage])
        shift = submitted - (row["submitted_at"] or row["created_at"])
        day = submitted.strftime("%Y%m%d")
        for key in ("created_at", "updated_at", "submitted_at", "accepted_at", "ended_at"):
            if row[key] is not None:
                row[key] = row[key] + shift
        if row["due_date"] is not None:
            row["due_date"] = row["due_date"] + timedelta(days=shift.days)
        row.update(
            id=case_id,
            site_code=site,
            matter_site_code=site,
            matter_code=f"{site}-{dept}-{n % MATTERS_PER_DEPARTMENT + 1:04d}",
            department_code=f"{site}-{dept}",
            department_name=f"{site}{dept}局",
            applicant_subject=f"person-{rng.randrange(max(1, (self.size + BATCH) // CASES_PER_APPLICANT))}",
            applicant_name="张三",
            case_number=f"{site}{day}{n:08d}" if row["case_number"] else None,
            application_number=f"SB{site}{day}{n:08d}" if row["application_number"] else None,
            query_hash=query_hash(case_id, PASSWORD) if row["application_number"] else "",
        )
        if row["application_number"]:
            # A uniform sample of all submitted cases so far (reservoir), for the status query.
            self.seen += 1
            if len(self.numbers) < SAMPLE:
                self.numbers.append(row["application_number"])
            elif (k := rng.randrange(self.seen)) < SAMPLE:
                self.numbers[k] = row["application_number"]
        return tuple(row[c] for c in columns)

    async def grow_to(self, size: int) -> None:
        columns = ["id", *self.templates["draft"].keys()]
        conn = await asyncpg.connect(self.dsn)
        try:
            while self.size < size:
                count = min(BATCH, size - self.size)
                records = [self._row(self.size + i, columns) for i in range(count)]
                await conn.copy_records_to_table("cases", records=records, columns=columns)
                self.size += count
            # What autovacuum does after a bulk load: statistics for the planner, the visibility map.
            await conn.execute("VACUUM ANALYZE cases")
        finally:
            await conn.close()
