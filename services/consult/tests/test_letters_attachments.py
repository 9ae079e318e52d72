"""Letter attachments: up to three per writer's message, judged by content as case materials are,
read back by the writer (an anonymous one by number and password) and the letter's staff only."""

from __future__ import annotations

from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.races import concurrently, outcomes
from govhall.protos.consult.v1 import letters_pb2 as pb

from .conftest import ANONYMOUS, DEPT, person, staff
from .letters_world import OTHER_DEPT, LettersWorld, letters_world

__all__ = ["letters_world"]

CLERK = staff(["window_clerk"])
OTHER_CLERK = staff(["window_clerk"], dept=OTHER_DEPT, n=2)
SUPERVISOR_ELSEWHERE = staff(["supervisor"], site="420503", dept="420503-ZWFW", n=3)


def png(n: int) -> bytes:
    # check_upload reads a PNG by its signature: what follows makes each file a different one.
    return b"\x89PNG\r\n\x1a\n" + f"image {n}".encode() * 50


def attach(letter_id: str, name: str, content: bytes) -> pb.AttachLetterFileRequest:
    return pb.AttachLetterFileRequest(letter_id=letter_id, file_name=name, content=content)


async def test_the_writer_attaches_three_files_and_the_letters_staff_read_them(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    letter = (await w.write(person(), department_code=DEPT)).letter
    for n, name in enumerate(("营业执照.pdf", "门店照片.png", "../../etc/租赁合同.png")):
        shown = await w.call(w.letters, "AttachLetterFile", attach(letter.id, name, png(n)), person())
    # Named after what the content is (a PNG called .pdf is .png), no path kept; with the letter.
    assert [(a.seq, a.file_name, a.media_type, a.size) for a in shown.attachments] == [
        (1, "营业执照.png", "image/png", len(png(0))),
        (1, "门店照片.png", "image/png", len(png(1))),
        (1, "租赁合同.png", "image/png", len(png(2))),
    ]
    fourth = await w.fails(w.letters, "AttachLetterFile", attach(letter.id, "4.png", png(3)), person())
    assert (fourth.code, fourth.kind, [f.field for f in fourth.fields]) == (
        "ATTACHMENTS_TOO_MANY",
        ErrorKind.INVALID,
        ["attachments"],
    )
    again = await w.call(w.letters, "GetLetter", pb.GetLetterRequest(letter_id=letter.id), CLERK)
    assert [a.id for a in again.attachments] == [a.id for a in shown.attachments]
    second = shown.attachments[1]
    for reader in (person(), CLERK):
        got = await w.call(
            w.letters,
            "GetLetterAttachment",
            pb.GetLetterAttachmentRequest(letter_id=letter.id, attachment_id=second.id),
            reader,
        )
        assert (got.file_name, got.media_type, got.content) == ("门店照片.png", "image/png", png(1))
    for stranger in (person(2), OTHER_CLERK, SUPERVISOR_ELSEWHERE, ANONYMOUS):
        err = await w.fails(
            w.letters,
            "GetLetterAttachment",
            pb.GetLetterAttachmentRequest(letter_id=letter.id, attachment_id=second.id),
            stranger,
        )
        assert err.kind is ErrorKind.NOT_FOUND, stranger
        err = await w.fails(w.letters, "AttachLetterFile", attach(letter.id, "x.png", png(9)), stranger)
        assert err.kind is ErrorKind.NOT_FOUND, stranger
    # An attachment of another letter is not reachable through this one.
    other = (await w.write(person(2))).letter
    mine = await w.call(w.letters, "AttachLetterFile", attach(other.id, "o.png", png(7)), person(2))
    err = await w.fails(
        w.letters,
        "GetLetterAttachment",
        pb.GetLetterAttachmentRequest(letter_id=letter.id, attachment_id=mine.attachments[0].id),
        person(),
    )
    assert err.kind is ErrorKind.NOT_FOUND


async def test_a_bad_file_is_refused_naming_the_field_and_nothing_is_attached(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    letter = (await w.write(person())).letter
    for content, code in (
        (b"MZ\x90\x00" + b"\x00" * 200, "FILE_TYPE_NOT_ACCEPTED"),  # a Windows program called .pdf
        (b"", "FILE_EMPTY"),
        (b"%PDF-1.4 not really a pdf", "FILE_UNREADABLE"),
    ):
        err = await w.fails(w.letters, "AttachLetterFile", attach(letter.id, "证明.pdf", content), person())
        assert (err.code, err.kind, [f.field for f in err.fields]) == (code, ErrorKind.INVALID, ["content"])
    shown = await w.call(w.letters, "GetLetter", pb.GetLetterRequest(letter_id=letter.id), person())
    assert list(shown.attachments) == []


async def test_an_anonymous_writer_attaches_and_reads_by_number_and_password(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    written = await w.write(ANONYMOUS, kind=pb.LETTER_KIND_COMPLAINT, reason=pb.COMPLAINT_REASON_ATTITUDE)
    number, password = written.letter.letter_number, written.query_password
    request = pb.AttachLetterFileRequest(
        letter_number=number,
        query_password=password,
        client_ip="10.0.0.1",
        file_name="录音截图.png",
        content=png(1),
    )
    shown = await w.call(w.letters, "AttachLetterFile", request, ANONYMOUS)
    (only,) = shown.attachments
    got = await w.call(
        w.letters,
        "GetLetterAttachment",
        pb.GetLetterAttachmentRequest(
            letter_number=number, query_password=password, client_ip="10.0.0.1", attachment_id=only.id
        ),
        ANONYMOUS,
    )
    assert got.content == png(1)
    wrong = pb.GetLetterAttachmentRequest(
        letter_number=number, query_password="wrong-one", client_ip="10.0.0.1", attachment_id=only.id
    )
    err = await w.fails(w.letters, "GetLetterAttachment", wrong, ANONYMOUS)
    assert (err.code, err.kind) == ("LETTER_QUERY_FAILED", ErrorKind.NOT_FOUND)
    bad = pb.AttachLetterFileRequest(
        letter_number=number,
        query_password="wrong-two",
        client_ip="10.0.0.1",
        file_name="a.png",
        content=png(2),
    )
    err = await w.fails(w.letters, "AttachLetterFile", bad, ANONYMOUS)
    assert err.code == "LETTER_QUERY_FAILED"
    # Nobody signed in reaches an anonymous letter by its id, not even with a guess at the writer.
    err = await w.fails(
        w.letters,
        "GetLetterAttachment",
        pb.GetLetterAttachmentRequest(letter_id=written.letter.id, attachment_id=only.id),
        person(),
    )
    assert err.kind is ErrorKind.NOT_FOUND


async def test_files_go_with_the_letter_or_a_follow_up_waiting_for_an_answer(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    letter = (await w.write(person())).letter
    await w.call(w.letters, "AttachLetterFile", attach(letter.id, "a.png", png(1)), person())
    office = staff(["window_clerk"], dept=letter.department_code, n=4)
    claimed = await w.call(
        w.letters, "ClaimLetter", pb.ClaimLetterRequest(letter_id=letter.id, revision=1), office
    )
    # Attaching does not touch the revision staff act on.
    assert claimed.revision == 2
    err = await w.fails(w.letters, "AttachLetterFile", attach(letter.id, "b.png", png(2)), person())
    assert err.code == "LETTER_WRONG_STATE"
    await w.call(
        w.letters,
        "ReplyLetter",
        pb.ReplyLetterRequest(letter_id=letter.id, revision=2, content="答复"),
        office,
    )
    followed = await w.call(
        w.letters, "FollowUp", pb.FollowUpRequest(letter_id=letter.id, content="还需要什么？"), person()
    )
    follow_up_seq = followed.messages[-1].seq
    for n in range(3):  # three more: the limit is per message
        shown = await w.call(
            w.letters, "AttachLetterFile", attach(letter.id, f"f{n}.png", png(10 + n)), person()
        )
    assert [a.seq for a in shown.attachments] == [1, follow_up_seq, follow_up_seq, follow_up_seq]


async def test_two_uploads_at_once_never_make_a_fourth(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = (await w.write(person())).letter
    for n in range(2):
        await w.call(w.letters, "AttachLetterFile", attach(letter.id, f"{n}.png", png(n)), person())

    async def upload(i: int) -> pb.Letter:
        return await w.call(
            w.letters, "AttachLetterFile", attach(letter.id, f"r{i}.png", png(20 + i)), person()
        )

    won, lost = outcomes(await concurrently(3, upload))
    assert len(won) == 1 and len(won[0].attachments) == 3
    assert len(lost) == 2
    assert all(
        isinstance(e, DomainError) and e.code in ("ATTACHMENTS_TOO_MANY", "ATTACHMENT_CONFLICT") for e in lost
    )
    shown = await w.call(w.letters, "GetLetter", pb.GetLetterRequest(letter_id=letter.id), person())
    assert len(shown.attachments) == 3
