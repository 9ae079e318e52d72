"""Level-B imports: a platform administrator loads certified records of one type from an
authority's CSV file (UTF-8, a header row), all or nothing, like the catalogue's import.

Columns: `number`, `holder_subject` (the holder's account subject: holders are identified by
subject, not looked up by ID number, so a row for someone without an account is reported, not
guessed), `holder_name`, `holder_code` (ID or credit code: encrypted, kept masked), `issued_on`
and optional `valid_until` (YYYY-MM-DD; absent: from the type's validity), then one column per
field key of the type. Every row is checked first; any problem and the answer lists them all
(row, field, problem) with nothing written. Otherwise each row becomes a licence of level B with
an unguessable verify code and the next status place of the type's issuer, and an `imported`
event, in one transaction. A number already imported for the type is a problem, so loading the
same file twice imports nothing the second time. An Excel workbook (.xlsx, its first sheet) is
read the same way, after its zip directory is checked against bounds (an upload could be a zip
bomb: openpyxl would unpack whatever it is given).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import sqlalchemy as sa

from govhall.kit.db import Database
from govhall.kit.errors import invalid
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.ids import new_id
from govhall.kit.validators import mask_id_number
from govhall.licences import access, events
from govhall.licences.tables import licence_types, licences
from govhall.licences.types_admin import admin_only
from govhall.licences.verification import new_verify_code
from govhall.protos.licences.v1 import verification_pb2 as pb

MAX_ROWS = 5_000
MAX_BYTES = 8 * 1024 * 1024
MAX_PROBLEMS = 1_000
# What an .xlsx may unpack to before openpyxl is let near it.
MAX_XLSX_ENTRIES = 1_000
MAX_XLSX_UNPACKED = 64 * 1024 * 1024
BASE_COLUMNS = ("number", "holder_subject", "holder_name", "holder_code", "issued_on", "valid_until")
SUBJECT = re.compile(r"^[0-9A-Za-z_.:-]{1,64}$")
HOLDER_CODE = re.compile(r"^[0-9A-Z]{15,18}$")
# The associated data holder codes are sealed under (issuance seals with the same).
HOLDER_CODE_CONTEXT = "holder_code"


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _years_later(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class Imports:
    def __init__(self, db: Database, cipher: FieldCipher) -> None:
        self.db = db
        self.cipher = cipher

    async def load(self, r: pb.ImportLicencesRequest) -> pb.ImportLicencesResponse:
        admin_only()
        code = access.type_code(r.type_code, "type_code")
        name = r.filename.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise invalid(
                "FILE_TYPE", "the file is a .csv (UTF-8) or .xlsx", "文件应为UTF-8编码的CSV或xlsx", "file"
            )
        if len(r.content) > MAX_BYTES:
            raise invalid("FILE_TOO_LARGE", "the file is at most 8 MiB", "文件不能超过8MB", "file")
        rows = read_xlsx(r.content) if name.endswith(".xlsx") else read_csv(r.content)
        if not rows:
            raise invalid("FILE_EMPTY", "the file has no rows under its header", "文件没有数据行", "file")
        if len(rows) > MAX_ROWS:
            raise invalid("FILE_TOO_MANY_ROWS", f"at most {MAX_ROWS} rows", f"最多{MAX_ROWS}行", "file")
        async with self.db.uow() as uow:
            kind = (
                await uow.conn.execute(sa.select(licence_types).where(licence_types.c.code == code))
            ).first()
            if kind is None:
                raise access.type_not_found()
            fields = json.loads(kind.fields)
            taken = set(
                (
                    await uow.conn.execute(
                        sa.select(licences.c.number).where(
                            licences.c.type_code == code, licences.c.level == "B"
                        )
                    )
                ).scalars()
            )
            problems: list[pb.ImportProblem] = []
            values: list[dict[str, object]] = []
            seen: set[str] = set()
            for n, row in rows:  # n: the row in the file (the header is row 1)
                checked = self._row(n, row, fields, kind.validity_years, taken | seen, problems)
                if checked is not None:
                    seen.add(str(checked["number"]))
                    values.append(checked)
            if problems:
                return pb.ImportLicencesResponse(
                    imported=0, skipped=len(rows), problems=problems[:MAX_PROBLEMS]
                )
            place = (
                await uow.conn.execute(
                    sa.select(sa.func.coalesce(sa.func.max(licences.c.status_index), -1)).where(
                        licences.c.issuer_code == kind.issuer_code
                    )
                )
            ).scalar_one()
            now = dt.datetime.now(dt.UTC)
            for v in values:
                place += 1
                licence = v | {
                    "id": new_id(),
                    "verify_code": new_verify_code(),
                    "level": "B",
                    "type_code": code,
                    "holder_kind": kind.holder_kind,
                    "issuer_department_code": kind.issuer_department_code,
                    "issuer_name": kind.issuer_name,
                    "issuer_code": kind.issuer_code,
                    "state": "valid",
                    "status_index": place,
                    "revision": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                await uow.conn.execute(licences.insert().values(**licence))
                row = (
                    await uow.conn.execute(sa.select(licences).where(licences.c.id == licence["id"]))
                ).one()
                uow.emit(events.licence_event("imported", row, type_name=kind.name))
            await uow.commit()
        return pb.ImportLicencesResponse(imported=len(values), skipped=0)

    def _row(
        self,
        n: int,
        row: dict[str, str | None],
        fields: list[dict[str, object]],
        validity_years: int,
        taken: set[str],
        problems: list[pb.ImportProblem],
    ) -> dict[str, object] | None:
        def cell(key: str) -> str:
            return (row.get(key) or "").strip()

        def problem(field: str, text: str) -> None:
            problems.append(pb.ImportProblem(row=n, field=field, problem=text))

        before = len(problems)
        number = cell("number")
        if not number or len(number) > 100:
            problem("number", "required, at most 100 characters / 必填，最多100字")
        elif number in taken:
            problem("number", "already imported for this type / 该证照编号已导入")
        if not SUBJECT.match(cell("holder_subject")):
            problem("holder_subject", "the holder's account subject is required / 须填写持证人账号标识")
        name = cell("holder_name")
        if not name or len(name) > 200:
            problem("holder_name", "required, at most 200 characters / 必填，最多200字")
        holder_code = cell("holder_code").upper()
        if not HOLDER_CODE.match(holder_code):
            problem(
                "holder_code",
                "an ID number or credit code (15-18 letters/digits) / 应为身份证号或统一社会信用代码",
            )
        issued = _date(cell("issued_on"))
        if issued is None:
            problem("issued_on", "a date YYYY-MM-DD / 应为日期 YYYY-MM-DD")
        until = _date(cell("valid_until")) if cell("valid_until") else None
        if cell("valid_until") and (until is None or (issued is not None and until < issued)):
            problem("valid_until", "a date YYYY-MM-DD not before issued_on / 应为不早于发证日期的日期")
        metadata: dict[str, str] = {}
        for f in fields:
            key = str(f["key"])
            value = cell(key)
            if f.get("required") and not value:
                problem(key, f"{f['label']} is required / {f['label']}必填")
            elif len(value) > 500:
                problem(key, "at most 500 characters / 最多500字")
            elif value:
                metadata[key] = value
        if len(problems) > before or issued is None:
            return None
        if until is None and validity_years:
            until = _years_later(issued, validity_years)
        return {
            "number": number,
            "holder_subject": cell("holder_subject"),
            "holder_name": name,
            "holder_code": self.cipher.encrypt(holder_code, HOLDER_CODE_CONTEXT),
            "holder_code_masked": mask_id_number(holder_code),
            "issued_on": issued,
            "valid_until": until,
            "metadata": json.dumps(metadata, ensure_ascii=False),
        }


Rows = list[tuple[int, dict[str, str | None]]]


def read_csv(content: bytes) -> Rows:
    """Each row with its line in the file (blank lines are skipped, so rows keep their number)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise invalid("FILE_ENCODING", "the file is not UTF-8", "文件不是UTF-8编码", "file") from None
    reader = csv.DictReader(io.StringIO(text))
    return [(reader.line_num, row) for row in reader]


def _unreadable() -> Exception:
    return invalid(
        "FILE_UNREADABLE", "the file is damaged or not an .xlsx workbook", "文件已损坏或不是xlsx格式", "file"
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_xlsx(content: bytes) -> Rows:
    """The first sheet's rows under its header row with their row numbers, cells as text (dates
    as YYYY-MM-DD); empty rows are skipped."""
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            entries = z.infolist()
        if len(entries) > MAX_XLSX_ENTRIES or sum(e.file_size for e in entries) > MAX_XLSX_UNPACKED:
            raise invalid("FILE_TOO_LARGE", "the workbook unpacks to too much", "工作簿解压后过大", "file")
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except zipfile.BadZipFile:
        raise _unreadable() from None
    except Exception as err:  # openpyxl raises assorted errors on malformed parts of a workbook
        if getattr(err, "code", "") == "FILE_TOO_LARGE":
            raise
        raise _unreadable() from None
    try:
        sheet = workbook.worksheets[0]
        lines = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
        header = [(_text(v) or "").strip() for v in next(lines, ())]
        rows: Rows = []
        for n, line in enumerate(lines, start=2):
            cells = [_text(v) for v in line]
            if any(c not in (None, "") for c in cells):
                rows.append((n, dict(zip(header, cells, strict=False))))
        return rows
    except Exception:
        raise _unreadable() from None
    finally:
        workbook.close()
