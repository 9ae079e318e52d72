"""Writing a letter (signed in or anonymous with an SMS code), its number, routing and reading it
back: by its writer, its department's staff, and by number and query password; nobody else."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.consult import letter_clock
from govhall.consult.letters_tables import letters
from govhall.kit.errors import ErrorKind
from govhall.kit.races import concurrently
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import events_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

from .conftest import ANONYMOUS, CITY, COUNTY, DEPT, MATTER, enterprise, person, staff
from .letters_world import MOBILE, OFFICE, OTHER_DEPT, LettersWorld, letters_world

__all__ = ["letters_world"]


async def test_a_signed_in_letter_gets_a_daily_number_and_goes_to_the_office(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    first = (await w.write(person(), matter_code=MATTER)).letter
    second = (await w.write(enterprise(), kind=pb.LETTER_KIND_SUGGESTION)).letter
    today = letter_clock.china_day(dt.datetime.now(dt.UTC)).strftime("%Y%m%d")
    assert first.letter_number == f"ZX{COUNTY}-{today}-0001"
    assert second.letter_number == f"JY{COUNTY}-{today}-0002"  # one counter per site and day
    assert (first.department_code, first.state, first.revision) == (OFFICE, pb.LETTER_STATE_PENDING, 1)
    assert not first.anonymous and first.writer_mobile_masked == ""
    assert [(m.role, m.action) for m in first.messages] == [(pb.MESSAGE_ROLE_WRITER, "consultation")]
    # Consultations have 3 working days, the site's complaints 7 (letter_limits.json).
    assert (
        first.due_date == letter_clock.due_date(COUNTY, "consultation", dt.datetime.now(dt.UTC)).isoformat()
    )
    events = await w.published("consult.letter.submitted", 2)
    (message,) = [
        m for m in (events_pb2.LetterChanged.FromString(e.payload) for e in events) if m.letter_id == first.id
    ]
    assert (message.letter_number, message.writer.kind, message.writer.subject) == (
        first.letter_number,
        C.CALLER_KIND_PERSON,
        "person-1",
    )
    mine = await w.call(w.letters, "ListMyLetters", pb.ListMyLettersRequest(), person())
    assert [x.id for x in mine.letters] == [first.id] and mine.page.total == 1


async def test_a_complaint_names_a_department_case_and_reason(letters_world: LettersWorld) -> None:
    w = letters_world
    complaint = (
        await w.write(
            person(),
            kind=pb.LETTER_KIND_COMPLAINT,
            department_code=DEPT,
            case_number="420502-20261201-0001",
            reason=pb.COMPLAINT_REASON_ATTITUDE,
        )
    ).letter
    assert (complaint.department_code, complaint.reason) == (DEPT, pb.COMPLAINT_REASON_ATTITUDE)
    assert complaint.letter_number.startswith(f"TS{COUNTY}-")
    assert (
        complaint.due_date == letter_clock.due_date(COUNTY, "complaint", dt.datetime.now(dt.UTC)).isoformat()
    )
    # No reason, an unknown department, a case on a consultation, too long: the field is named.
    for fields, code, name in (
        ({"kind": pb.LETTER_KIND_COMPLAINT}, "REASON_INVALID", "reason"),
        ({"department_code": "420502-NONE"}, "DEPARTMENT_UNKNOWN", "department_code"),
        ({"department_code": "420500-SCJG"}, "DEPARTMENT_UNKNOWN", "department_code"),
        ({"case_number": "X1"}, "CASE_NUMBER_INVALID", "case_number"),
        ({"content": "问" * 2001}, "CONTENT_TOO_LONG", "content"),
        ({"title": " "}, "TITLE_REQUIRED", "title"),
        ({"kind": pb.LETTER_KIND_UNSPECIFIED}, "KIND_INVALID", "kind"),
        ({"site_code": "999999"}, "SITE_UNKNOWN", "site_code"),
    ):
        err = await w.fails(w.letters, "SubmitLetter", _request(**fields), person())
        assert (err.code, err.kind, err.fields[0].field if err.fields else "") == (
            code,
            ErrorKind.INVALID,
            name,
        ), fields


def _request(**fields: object) -> pb.SubmitLetterRequest:
    values: dict[str, object] = {
        "site_code": COUNTY,
        "kind": pb.LETTER_KIND_CONSULTATION,
        "title": "t",
        "content": "c",
    }
    values.update(fields)
    return pb.SubmitLetterRequest(**values)  # type: ignore[arg-type]


async def test_an_anonymous_writer_confirms_by_sms_and_reads_by_number_and_password(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    # No code, a wrong one: refused, and no letter written.
    err = await w.fails(
        w.letters, "SubmitLetter", _request(writer_name="李匿名", writer_mobile=MOBILE), ANONYMOUS
    )
    assert err.code == "SMS_CODE_MISSING"
    w.identity.codes[MOBILE] = "111111"
    err = await w.fails(
        w.letters,
        "SubmitLetter",
        _request(writer_name="李匿名", writer_mobile=MOBILE, sms_code="222222"),
        ANONYMOUS,
    )
    assert err.code == "SMS_CODE_WRONG"
    written = await w.write(ANONYMOUS)
    letter = written.letter
    assert letter.anonymous and len(written.query_password) == 8
    assert (letter.writer_name_masked, letter.writer_mobile_masked) == ("李**", "138****0001")
    assert w.identity.checked_by[-1] == "consult"
    # Only ciphertext and a hash are kept.
    async with w.db.reader() as uow:
        row = (await uow.conn.execute(sa.select(letters).where(letters.c.id == letter.id))).one()
    assert MOBILE not in row.writer_mobile_enc and "李匿名" not in row.writer_name_enc
    assert written.query_password not in row.query_hash
    # The code was consumed: the same one again is refused.
    again = _request(writer_name="李匿名", writer_mobile=MOBILE, sms_code="246810")
    assert (await w.fails(w.letters, "SubmitLetter", again, ANONYMOUS)).code == "SMS_CODE_WRONG"

    query = pb.QueryLetterRequest(
        letter_number=letter.letter_number,
        query_password=written.query_password.lower(),
        client_ip="203.0.113.7",
    )
    shown = await w.call(w.letters, "QueryLetter", query, ANONYMOUS)
    assert shown.id == letter.id and shown.messages[0].content.startswith("请问")
    # Nobody reads it by id (not even signed in); staff of its department do.
    for who in (ANONYMOUS, person()):
        err = await w.fails(w.letters, "GetLetter", pb.GetLetterRequest(letter_id=letter.id), who)
        assert err.kind in (ErrorKind.NOT_FOUND, ErrorKind.UNAUTHENTICATED)
    seen = await w.call(
        w.letters, "GetLetter", pb.GetLetterRequest(letter_id=letter.id), staff(["window_clerk"], dept=OFFICE)
    )
    assert seen.writer_mobile_masked == "138****0001"


async def test_wrong_passwords_lock_the_letter_for_that_client_only(letters_world: LettersWorld) -> None:
    w = letters_world
    written = await w.write(ANONYMOUS)
    number = written.letter.letter_number

    def ask(password: str, ip: str) -> pb.QueryLetterRequest:
        return pb.QueryLetterRequest(letter_number=number, query_password=password, client_ip=ip)

    for _ in range(5):
        assert (await w.fails(w.letters, "QueryLetter", ask("WRONG123", "198.51.100.1"), ANONYMOUS)).code == (
            "LETTER_QUERY_FAILED"
        )
    locked = await w.fails(w.letters, "QueryLetter", ask(written.query_password, "198.51.100.1"), ANONYMOUS)
    assert (locked.code, locked.kind) == ("LETTER_QUERY_LOCKED", ErrorKind.TOO_MANY)
    # Another client is not locked out; an unknown number answers like a wrong password.
    assert (await w.call(w.letters, "QueryLetter", ask(written.query_password, "198.51.100.2"), ANONYMOUS)).id
    unknown = pb.QueryLetterRequest(
        letter_number="ZX420502-20990101-0001", query_password="X", client_ip="1.1.1.1"
    )
    assert (await w.fails(w.letters, "QueryLetter", unknown, ANONYMOUS)).code == "LETTER_QUERY_FAILED"
    # A signed-in writer's letter has no password at all.
    signed = (await w.write(person())).letter
    nothing = pb.QueryLetterRequest(letter_number=signed.letter_number, query_password="ABCDEFGH")
    assert (await w.fails(w.letters, "QueryLetter", nothing, ANONYMOUS)).code == "LETTER_QUERY_FAILED"


async def test_others_and_other_departments_do_not_see_a_letter(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = (await w.write(person(1), department_code=DEPT)).letter
    get = pb.GetLetterRequest(letter_id=letter.id)
    assert (await w.call(w.letters, "GetLetter", get, person(1))).id == letter.id
    for who in (
        person(2),
        enterprise(),
        staff(["window_clerk"], dept=OTHER_DEPT),
        staff(["window_clerk"], site=CITY, dept=DEPT),
        staff(["supervisor"], site="420503", dept="420503-ZWFW"),
    ):
        assert (await w.fails(w.letters, "GetLetter", get, who)).kind == ErrorKind.NOT_FOUND, who
    # A supervisor of the city above reads it; the department's staff too.
    assert (
        await w.call(w.letters, "GetLetter", get, staff(["supervisor"], site=CITY, dept=f"{CITY}-ZWFW"))
    ).id
    assert (await w.call(w.letters, "GetLetter", get, staff(["reviewer"]))).id
    # Another person's list is empty; staff have no "mine".
    assert not (await w.call(w.letters, "ListMyLetters", pb.ListMyLettersRequest(), person(2))).letters
    assert (
        await w.fails(w.letters, "ListMyLetters", pb.ListMyLettersRequest(), staff(["reviewer"]))
    ).kind == (ErrorKind.FORBIDDEN)


async def test_writers_at_once_get_distinct_consecutive_numbers(letters_world: LettersWorld) -> None:
    """The day's counter row is one UPSERT in each writer's transaction: on PostgreSQL the five
    truly overlap, and none gets another's number or fails."""
    w = letters_world

    async def write(i: int) -> pb.SubmitLetterResponse:
        return await w.write(person(i + 1))

    results = await concurrently(5, write)
    numbers = sorted(r.letter.letter_number[-4:] for r in results if isinstance(r, pb.SubmitLetterResponse))
    assert numbers == ["0001", "0002", "0003", "0004", "0005"], results
