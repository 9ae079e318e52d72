"""好差评 statistics by site (rolled up its subtree in the site copy), department, matter and month: the count per
level, the satisfaction rate (levels 1-3 over all), and of the rectifications opened the share
rectified and the share called back. Voided evaluations are left out. Months are China time
(`kit.dialect.month_bucket`). Public: counts only, no evaluation is shown."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.consult import access, sites
from govhall.consult.evaluation_tables import evaluations, rectifications
from govhall.kit.db import Database
from govhall.kit.dialect import month_bucket
from govhall.kit.errors import invalid
from govhall.protos.consult.v1 import evaluations_pb2 as pb

MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _month(value: str, field: str) -> str:
    if value and not MONTH.match(value):
        raise invalid("MONTH_INVALID", "a month is YYYY-MM", "月份格式应为YYYY-MM", field)
    return value


def _row(
    month: str, counts: dict[int, int], opened: int, rectified: int, called: int
) -> pb.EvaluationStatisticsRow:
    total = sum(counts.values())
    satisfied = sum(counts.get(level, 0) for level in (1, 2, 3))
    return pb.EvaluationStatisticsRow(
        month=month,
        total=total,
        per_level=[counts.get(level, 0) for level in range(1, 6)],
        satisfaction_rate=round(satisfied / total, 4) if total else 0.0,
        rectifications=opened,
        rectified_rate=round(rectified / opened, 4) if opened else 0.0,
        callback_rate=round(called / opened, 4) if opened else 0.0,
    )


@dataclass
class EvaluationStatistics:
    db: Database

    async def statistics(self, request: pb.EvaluationStatisticsRequest) -> pb.EvaluationStatisticsResponse:
        e, r = evaluations.c, rectifications.c
        where: list[Any] = [e.status == "valid"]
        if request.site_code:
            where.append(sites.subtree(e.site_code, access.site_code(request.site_code)))
        if request.department_code:
            if len(request.department_code) > 64:
                raise invalid(
                    "DEPARTMENT_INVALID", "department_code is too long", "部门编码过长", "department_code"
                )
            where.append(e.department_code == request.department_code)
        if request.matter_code:
            where.append(e.matter_code == access.matter_code(request.matter_code))
        low, high = _month(request.month_from, "month_from"), _month(request.month_to, "month_to")
        async with self.db.reader() as uow:
            month = month_bucket(uow, e.created_at).label("month")
            if low:
                where.append(month >= low)
            if high:
                where.append(month <= high)
            query = (
                sa.select(
                    month,
                    e.level,
                    sa.func.count().label("n"),
                    sa.func.count(r.rectification_id).label("opened"),
                    sa.func.count(r.rectified_at).label("rectified"),
                    sa.func.count(r.called_back_at).label("called"),
                )
                .select_from(evaluations.outerjoin(rectifications, r.evaluation_id == e.evaluation_id))
                .where(*where)
                .group_by(month, e.level)
                .order_by(month)
            )
            rows = list(await uow.conn.execute(query))
        months: dict[str, list[Any]] = {}
        for row in rows:
            months.setdefault(row.month, []).append(row)
        out = pb.EvaluationStatisticsResponse()
        every: dict[int, int] = {}
        sums = [0, 0, 0]
        for name, group in months.items():
            counts = {g.level: int(g.n) for g in group}
            opened, rectified, called = (
                sum(int(getattr(g, k)) for g in group) for k in ("opened", "rectified", "called")
            )
            out.months.append(_row(name, counts, opened, rectified, called))
            for level, n in counts.items():
                every[level] = every.get(level, 0) + n
            sums = [sums[0] + opened, sums[1] + rectified, sums[2] + called]
        out.overall.CopyFrom(_row("", every, *sums))
        return out
