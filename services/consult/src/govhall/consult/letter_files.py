"""Letter attachments: the writer's files, up to three per message of theirs (the letter, or a
follow-up while it waits for an answer), judged by the same checks as case materials
(kit.files.check_upload: by content, size, and a PDF that runs nothing) and kept by hash in the
content-addressed store. The signed-in writer names the letter by id, an anonymous one by number
and query password (its wrong passwords count as QueryLetter's do). Reading a file: the writer and
the staff who may read the letter; anybody else is told there is no such letter.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from govhall.consult import letters_store as ls
from govhall.consult.letters import Letters, writes
from govhall.consult.letters_tables import letter_attachments, letter_messages
from govhall.kit.caller import current_caller
from govhall.kit.contents import ContentLimits
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.files import DEFAULT_ACCEPTED, FileStore, check_upload
from govhall.kit.ids import new_id
from govhall.protos.consult.v1 import letters_pb2 as pb

MAX_PER_MESSAGE = 3
# While staff have not yet answered the writer's last message: a file sent later than the answer
# would hang on a question already dealt with.
ATTACH_STATES = ("pending", "followed_up")


def too_many() -> DomainError:
    return invalid(
        "ATTACHMENTS_TOO_MANY",
        f"at most {MAX_PER_MESSAGE} attachments per letter or follow-up",
        f"每次来信或追问最多上传{MAX_PER_MESSAGE}个附件",
        "attachments",
    )


@dataclass
class LetterFiles:
    letters: Letters
    files: FileStore
    max_bytes: int
    limits: ContentLimits = field(default_factory=ContentLimits)

    async def attach(self, r: pb.AttachLetterFileRequest) -> pb.Letter:
        # Who and where first (cheap), then the file is checked and stored outside the write
        # transaction as cases does (parsing a PDF takes a while; a stored file never attached is
        # content-addressed and harmless), then everything is checked again under the write.
        async with self.letters.db.uow() as uow:
            row = await self._writers(uow, r.letter_id, r.letter_number, r.query_password, r.client_ip)
            await uow.commit()  # a right password clears its failure count
        async with self.letters.db.reader() as uow:
            await self._slot(uow, row)
        upload = await asyncio.to_thread(
            check_upload, r.file_name, r.content, DEFAULT_ACCEPTED, self.max_bytes, self.limits
        )
        digest = await self.files.aput(r.content)
        async with self.letters.db.uow() as uow:
            row = await ls.load(uow, row.id)
            seq, slot = await self._slot(uow, row)
            try:
                await uow.conn.execute(
                    sa.insert(letter_attachments).values(
                        id=new_id(),
                        letter_id=row.id,
                        seq=seq,
                        slot=slot,
                        sha256=digest,
                        file_name=upload.file_name,
                        media_type=upload.media_type,
                        size=upload.size,
                        created_at=self.letters.clock(),
                    )
                )
            except sa.exc.IntegrityError:
                # Another upload took this place at the same moment: the writer sends it again.
                raise DomainError(
                    "ATTACHMENT_CONFLICT",
                    "another file was attached at the same moment; send this one again",
                    "其他附件正在同时上传，请重新上传",
                    ErrorKind.CONFLICT,
                ) from None
            messages = await ls.thread(uow, row.id)
            await uow.commit()
        return ls.view(row, messages, self.letters.cipher)

    async def read(self, r: pb.GetLetterAttachmentRequest) -> pb.LetterAttachmentContent:
        from govhall.consult.letters_staff import may_read  # the staff side decides for staff

        # Only the number-and-password path writes (failed attempts count towards the lock-out);
        # a signed-in reader takes no write lock (on SQLite one writer at a time).
        unit = self.letters.db.uow() if r.letter_number else self.letters.db.reader()
        async with unit as uow:
            if r.letter_number:
                row = await self.letters.unlock(uow, r.letter_number, r.query_password, r.client_ip)
            else:
                caller = current_caller()
                row = await ls.load(uow, r.letter_id)
                if not (writes(row, caller) or may_read(row, caller)):
                    raise ls.not_found()  # not told apart from one that does not exist
            a = letter_attachments.c
            found = (
                await uow.conn.execute(
                    sa.select(letter_attachments).where(a.letter_id == row.id, a.id == r.attachment_id)
                )
            ).first()
            await uow.commit()
        if found is None:
            raise DomainError("ATTACHMENT_NOT_FOUND", "no such attachment", "附件不存在", ErrorKind.NOT_FOUND)
        content = await self.files.aget(found.sha256)
        return pb.LetterAttachmentContent(
            file_name=found.file_name, media_type=found.media_type, content=content
        )

    async def _writers(self, uow: UnitOfWork, letter_id: str, number: str, password: str, client: str) -> Any:
        if number:
            return await self.letters.unlock(uow, number, password, client)
        caller = current_caller()
        row = await ls.load(uow, letter_id)
        if not writes(row, caller):
            raise ls.not_found()
        return row

    async def _slot(self, uow: UnitOfWork, row: Any) -> tuple[int, int]:
        """The writer's last message and the next free place (1-3) among its attachments."""
        if row.state not in ATTACH_STATES:
            raise ls.wrong_state(
                "files are attached while the letter or a follow-up waits for an answer",
                "来信或追问待答复时才能上传附件",
            )
        m = letter_messages.c
        seq = await uow.conn.scalar(
            sa.select(sa.func.max(m.seq)).where(m.letter_id == row.id, m.role == "writer")
        )
        a = letter_attachments.c
        taken = await uow.conn.scalar(sa.select(sa.func.count()).where(a.letter_id == row.id, a.seq == seq))
        if int(taken or 0) >= MAX_PER_MESSAGE:
            raise too_many()
        return int(seq), int(taken or 0) + 1
