"""LettersService: each RPC hands its request to the writer's or the staff's side."""

from __future__ import annotations

from typing import Any

from govhall.consult.letter_files import LetterFiles
from govhall.consult.letters import Letters
from govhall.consult.letters_demo import load_demo_letters
from govhall.consult.letters_staff import LettersStaff
from govhall.consult.letters_supervision import Supervision
from govhall.kit.caller import current_caller
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb
from govhall.protos.consult.v1 import letters_pb2_grpc


class LettersService(letters_pb2_grpc.LettersServiceServicer):
    def __init__(
        self, writers: Letters, staff: LettersStaff, supervision: Supervision, files: LetterFiles
    ) -> None:
        self._w = writers
        self._s = staff
        self._v = supervision
        self._f = files

    async def SubmitLetter(self, request: pb.SubmitLetterRequest, context: Any) -> pb.SubmitLetterResponse:
        return await self._w.submit(request)

    async def ListMyLetters(self, request: pb.ListMyLettersRequest, context: Any) -> pb.ListLettersResponse:
        return await self._w.mine(request)

    async def GetLetter(self, request: pb.GetLetterRequest, context: Any) -> pb.Letter:
        return await self._w.get(request)

    async def QueryLetter(self, request: pb.QueryLetterRequest, context: Any) -> pb.Letter:
        return await self._w.query(request)

    async def FollowUp(self, request: pb.FollowUpRequest, context: Any) -> pb.Letter:
        return await self._w.follow_up(request)

    async def RateLetter(self, request: pb.RateLetterRequest, context: Any) -> pb.Letter:
        return await self._w.rate(request)

    async def AttachLetterFile(self, request: pb.AttachLetterFileRequest, context: Any) -> pb.Letter:
        return await self._f.attach(request)

    async def GetLetterAttachment(
        self, request: pb.GetLetterAttachmentRequest, context: Any
    ) -> pb.LetterAttachmentContent:
        return await self._f.read(request)

    async def ListQueue(self, request: pb.ListQueueRequest, context: Any) -> pb.ListLettersResponse:
        return await self._s.queue(request)

    async def ClaimLetter(self, request: pb.ClaimLetterRequest, context: Any) -> pb.Letter:
        return await self._s.claim(request)

    async def ReplyLetter(self, request: pb.ReplyLetterRequest, context: Any) -> pb.Letter:
        return await self._s.reply(request)

    async def ReassignLetter(self, request: pb.ReassignLetterRequest, context: Any) -> pb.Letter:
        return await self._s.reassign(request)

    async def RefuseLetter(self, request: pb.RefuseLetterRequest, context: Any) -> pb.Letter:
        return await self._s.refuse(request)

    async def ListPublicLetters(
        self, request: pb.ListPublicLettersRequest, context: Any
    ) -> pb.ListPublicLettersResponse:
        return await self._s.public(request)

    async def RequestExtension(self, request: pb.RequestExtensionRequest, context: Any) -> pb.Letter:
        return await self._v.request_extension(request)

    async def DecideExtension(self, request: pb.DecideExtensionRequest, context: Any) -> pb.Letter:
        return await self._v.decide_extension(request)

    async def ListSupervised(self, request: pb.ListSupervisedRequest, context: Any) -> pb.ListLettersResponse:
        return await self._v.supervised(request)

    async def SweepLetters(self, request: pb.SweepLettersRequest, context: Any) -> pb.SweepLettersResponse:
        return await self._v.sweep_rpc(request)

    async def LoadDemoLetters(
        self, request: pb.LoadDemoLettersRequest, context: Any
    ) -> pb.LoadDemoLettersResponse:
        if current_caller().kind != common_pb2.CALLER_KIND_ADMIN:
            raise DomainError(
                "ADMIN_ONLY", "only a platform administrator loads demo data", "仅平台管理员可加载演示数据",
                ErrorKind.FORBIDDEN,
            )  # fmt: skip
        return pb.LoadDemoLettersResponse(written=await load_demo_letters(self._w.db))
