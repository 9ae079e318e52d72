"""Consult's demo data for `make run` and `make up`: public questions and answers (公开问答) for
every demo site, kept as data (qa.json), and the loader both ways to run call.

Decision for today: the Q&As are public letters, and the letters module owns letters' tables and
rules (publication consent, public replies, names removed), so this package keeps the Q&As as
data only; the letters module imports `demo_questions()` and writes them through its own code,
which the loader asks for over gRPC (`LoadDemoLetters`, a platform administrator's call signed
with the operators' key), so `make run` and `make up` load the same letters the same way, once.
The error-report queue needs no seeded data: the demo site admins (hb_admin, yc_admin) work
the queue for their site's matters as soon as a citizen files a report, and a seeded report
would belong to a citizen nobody can sign in as.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from govhall.consult.access import matter_code, site_code
from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import channel, operator_caller, operator_signer, wait_serving
from govhall.kit.trust import Signer
from govhall.protos.consult.v1 import letters_pb2, letters_pb2_grpc

QA_FILE = Path(__file__).resolve().parent / "qa.json"
MAX_TITLE, MAX_TEXT = 100, 2_000


@dataclass(frozen=True)
class DemoQuestion:
    site_code: str
    matter_code: str  # "" when the question is about the site, not one matter
    title: str
    content: str
    reply: str


def demo_questions(path: Path = QA_FILE) -> list[DemoQuestion]:
    """The demo Q&As, checked (codes well formed, text present and bounded), in file order."""
    out = []
    for n, item in enumerate(json.loads(path.read_text(encoding="utf-8"))["questions"]):
        q = DemoQuestion(**item)
        site_code(q.site_code)
        if q.matter_code:
            matter_code(q.matter_code)
        for value, limit in ((q.title, MAX_TITLE), (q.content, MAX_TEXT), (q.reply, MAX_TEXT)):
            if not value.strip() or len(value) > limit:
                raise ValueError(f"{path.name} question {n}: text empty or longer than {limit}")
        out.append(q)
    return out


async def load_demo_into(address: str, signer: Signer | None = None, *, wait_seconds: float = 30.0) -> int:
    """Wait until consult at address serves, then have it write the demo letters (the Q&As and
    one pending letter; nothing when they are there already), signed as the operators
    (``signer``; by default the one the platform settings name). Returns how many demo Q&As the
    data holds."""
    questions = demo_questions()
    ch = channel(address, signer=signer or operator_signer(), audience="consult")
    try:
        await wait_serving(ch, wait_seconds)
        letters = letters_pb2_grpc.LettersServiceStub(ch)
        await letters.LoadDemoLetters(
            letters_pb2.LoadDemoLettersRequest(),
            metadata=caller_metadata(operator_caller("demo loader")),
            timeout=wait_seconds,
        )
    finally:
        await ch.close()
    return len(questions)
