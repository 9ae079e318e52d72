"""Cross-province handovers per second between two provinces on this machine, end to end to the
verified receipt, against the same round trip without signatures and audit, in the same run.

    uv run python bench/crossprovince_handover.py [--seconds 6] [--rounds 4] [--warmup 2]
                                                  [--concurrency 8] [--materials-kib 24]
                                                  [--log-level info] [--no-start] [--output PATH]

Set-up (not measured): development certificates and signing keys for 湖北 420000 (the home
province, receiving) and 湖南 430000 (sending), made with crossprovince's devca; crossprovince as
420000 in its own process (`python -m govhall.crossprovince`, its partner endpoint with mutual
TLS on a port of this run) with every service it calls (bench/cluster.py), against the local
PostgreSQL with this run's databases, all removed afterwards. The home side's catalogue is given
the matter the handovers name (西陵区's 个体工商户登记, published through the catalogue's admin
RPCs as an operator's tool does), so the handovers are accepted and each makes a case.

Subject: the benchmark is 湖南's sender. Each request seals a new Handover envelope (a UUIDv7,
Ed25519 over the canonical bytes) around a realistic body (the applicant, a form of about a
kilobyte of JSON, three scanned materials with their hashes: a PDF, a JPEG and a PNG), sends it
over mutual TLS, and verifies the receipt (signature by 420000's key, message id, request hash).
Every request is a new handover (its own handover_id, appended to a prepared body: the same for
both targets). The endpoint checks the certificate's province and CA, the envelope's signature,
looks the message id up, runs the Handover handler (cases' ReceiveHandover: the matter from the
catalogue, the materials' content checks and storage, a submitted case of the matter), and
commits the envelope, the signed receipt and the audit entry in one transaction before
answering. Every verified receipt counts, whatever its status; the accepted and rejected counts
are reported (all accepted is the measured path; a rejection names its reason).

Baseline: bench/bare_partner.py, a bare grpc.aio server in its own process with the same mutual
TLS set-up and message limits, taking the same envelope bytes (a signature-sized field included)
and answering an unsigned receipt naming the message id: no signing, no verifying, no database.
Rounds alternate (bare, endpoint, endpoint, bare, ...); C workers, each on its own channel (its
own connection), send back to back for a fixed time (a closed loop).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cluster import Cluster
from common import (
    REQUEST_TIMEOUT,
    RESULTS_DIR,
    START_TIMEOUT,
    Processes,
    Target,
    check_load_bounds,
    free_port,
    infra_env,
    load_parser,
    log,
    print_cpu,
    print_rows,
    ratio_line,
    ratios,
    run_main,
    run_rounds,
    server_pids,
    summarise,
    wait_until,
)

RESULTS = RESULTS_DIR / "crossprovince_handover.json"
HOME, SENDER = "420000", "430000"
SITE, DEPARTMENT = "420502", "420502-SCJGJ"  # 西陵区, its 市场监督管理局
MATTER = "420502-SCJGJ-0002"
SUBJECT = "endpoint"
BODIES = 8  # distinct handover bodies, cycled (each envelope is new: its own id and signature)
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


@dataclass
class Run:
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None
    partner_port: int = 0
    bare_port: int = 0
    # Receipts by target and "STATUS[ REASON]"; gRPC failures by target and status code.
    receipts: dict[str, Counter[str]] = field(default_factory=dict)
    failures: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def material(self) -> Path:
        return self.work_dir / "provinces"


def scanned_pdf(size: int) -> bytes:
    """A real PDF of one page (the home side parses it) of about ``size`` bytes: the scan is a
    stream of random bytes, as a scanned image does not compress."""
    scan = os.urandom(max(0, size - 400))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Length %d >>\nstream\n" % len(scan) + scan + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def handover_bodies(count: int, materials_bytes: int) -> list[bytes]:
    """Handover bodies as a receiving window sends them: the applicant checked in person, the
    form, three scanned materials (half, a third and a sixth of ``materials_bytes``) with their
    hashes, the window and clerk, the consent. Random contents: scans do not compress."""
    from govhall.crossprovince.envelope import now_rfc3339, uuid7
    from govhall.protos.crossprovince.v1 import partner_pb2 as pb

    bodies = []
    for i in range(count):
        form = {
            "name": "王小明",
            "business_name": f"西陵区小明便民超市{i}",
            "business_scope": "预包装食品销售；日用百货；文具用品零售" * 3,
            "premises": "湖北省宜昌市西陵区东山大道100号1层",
            "capital": 5,
            "employees": 2,
            "organisation": "个人经营",
            "contact_mobile": "13812345678",
            "remarks": "申请人在湖南省长沙市岳麓区政务服务中心跨省通办窗口提交" * 4,
        }
        scans = (
            ("M01", "个体工商户登记（备案）申请书", "application.pdf", "application/pdf", b"", 2),
            ("M02", "经营者身份证明", "id-card.jpg", "image/jpeg", b"\xff\xd8\xff\xe0", 3),
            ("M03", "经营场所使用证明", "premises.png", "image/png", b"\x89PNG\r\n\x1a\n", 6),
        )
        materials = []
        for code, name, file_name, media_type, magic, share in scans:
            if media_type == "application/pdf":
                content = scanned_pdf(materials_bytes // share)
            else:
                content = magic + os.urandom(max(0, materials_bytes // share - len(magic)))
            materials.append(
                pb.HandoverFile(
                    material_code=code,
                    name=name,
                    file_name=file_name,
                    media_type=media_type,
                    sha256=hashlib.sha256(content).hexdigest(),
                    content=content,
                )
            )
        handover = pb.Handover(
            handover_id=uuid7(),
            origin_number=f"430104-2026-{i:06d}",
            matter_code=MATTER,
            applicant=pb.HandoverApplicant(
                kind="person",
                name="王小明",
                id_type="居民身份证",
                id_number="42050219900307001X",
                mobile="13812345678",
                verified_by="in_person",
            ),
            form_json=json.dumps(form, ensure_ascii=False),
            materials=materials,
            window=pb.ReceivingWindow(
                province=SENDER,
                site_code="430104",
                hall_name="岳麓区政务服务中心",
                window_name="跨省通办窗口 3号",
                clerk_id="430104-clerk-07",
                clerk_name="李娟",
                received_at=now_rfc3339(),
            ),
            consent=pb.Consent(
                given=True, text="本人同意将申请信息和材料转交湖北省办理", given_at=now_rfc3339()
            ),
            delivery_method="post",
        )
        bodies.append(handover.SerializeToString(deterministic=True))
    return bodies


class PartnerConnection:
    """One worker's channel to a partner endpoint (its own connection), 湖南's client
    certificate; `send` returns (200, receipt bytes) once a receipt for the handover came back
    (signed: verified; bare: naming the message id), and counts its status."""

    def __init__(self, run: Run, target: str, port: int, signed: bool) -> None:
        import grpc

        from govhall.crossprovince.devca import load_signing_key
        from govhall.crossprovince.partners import load_partners
        from govhall.protos.crossprovince.v1 import partner_pb2_grpc

        d = run.material / SENDER
        home = load_partners(d / "partners.json", SENDER).get(HOME)
        assert home is not None
        self.keys = home.signing_keys
        self.signing = load_signing_key(d / "signing.key")
        self.key_id = f"{SENDER}-dev-1"
        credentials = grpc.ssl_channel_credentials(
            root_certificates=home.ca_pem,
            private_key=(d / "client.key").read_bytes(),
            certificate_chain=(d / "client.pem").read_bytes(),
        )
        self.channel = grpc.aio.secure_channel(
            f"127.0.0.1:{port}",
            credentials,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                ("grpc.use_local_subchannel_pool", 1),  # a connection of its own, not a shared one
            ],
        )
        self.stub = partner_pb2_grpc.PartnerServiceStub(self.channel)
        self.signed = signed
        self.receipts = run.receipts.setdefault(target, Counter())
        self.failures = run.failures.setdefault(target, Counter())

    async def send(self, body: bytes) -> tuple[int, bytes]:
        import grpc

        from govhall.crossprovince.envelope import now_rfc3339, seal, uuid7, verify_receipt
        from govhall.protos.crossprovince.v1 import partner_pb2 as pb

        # A new handover each time: a field appended to a message's bytes overrides the earlier
        # one on parsing, so the prepared body is not serialised again.
        body += pb.Handover(handover_id=uuid7()).SerializeToString()

        if self.signed:
            env = seal(self.signing, self.key_id, sender=SENDER, receiver=HOME, kind="Handover", body=body)
        else:
            env = pb.Envelope(
                message_id=uuid7(),
                sender=SENDER,
                receiver=HOME,
                sent_at=now_rfc3339(),
                kind="Handover",
                key_id=self.key_id,
                body=body,
                signature=bytes(64),  # the size of an Ed25519 signature: the same bytes travel
            )
        try:
            receipt = await self.stub.Handover(env, timeout=REQUEST_TIMEOUT)
        except grpc.aio.AioRpcError as err:
            self.failures[err.code().name] += 1
            raise
        if self.signed:
            verify_receipt(receipt, env, self.keys)
        elif receipt.message_id != env.message_id:
            raise ValueError("the bare receipt names another message")
        status = pb.ReceiptStatus.Name(receipt.status).removeprefix("RECEIPT_STATUS_")
        self.receipts[f"{status} {receipt.reason_code}".strip()] += 1
        return 200, receipt.SerializeToString()

    def close(self) -> None:
        task = asyncio.ensure_future(self.channel.close())
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)


_BACKGROUND: set[asyncio.Future[Any]] = set()


def matter_draft() -> Any:
    """The matter the handovers name, as the home province publishes it: a licensing matter with
    the three materials they carry and a form schema of the form's fields."""
    from govhall.catalogue.testing import matter_draft as draft_of
    from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

    draft = draft_of("个体工商户登记", DEPARTMENT, result_name="营业执照")
    draft.steps.extend(
        [
            cat.ProcessStep(code="accept", name="受理", role="window_clerk"),
            cat.ProcessStep(code="decide", name="决定", role="approver"),
        ]
    )
    for code, name in (
        ("M01", "个体工商户登记（备案）申请书"),
        ("M02", "经营者身份证明"),
        ("M03", "经营场所使用证明"),
    ):
        draft.materials.append(
            cat.Material(
                code=code,
                name=name,
                necessity=cat.MATERIAL_NECESSITY_REQUIRED,
                form=cat.MATERIAL_FORM_ELECTRONIC,
                source=cat.MATERIAL_SOURCE_APPLICANT,
            )
        )
    titles = {
        "name": ("string", "经营者姓名"),
        "business_name": ("string", "个体工商户名称"),
        "business_scope": ("string", "经营范围"),
        "premises": ("string", "经营场所"),
        "capital": ("number", "资金数额（万元）"),
        "employees": ("integer", "从业人数"),
        "organisation": ("string", "组成形式"),
        "contact_mobile": ("string", "联系电话"),
        "remarks": ("string", "备注"),
    }
    properties = {key: {"type": kind, "title": title} for key, (kind, title) in titles.items()}
    required = [key for key in titles if key != "remarks"]
    schema = {"type": "object", "properties": properties, "required": required}
    draft.form_schema = json.dumps(schema)
    return draft


async def publish_matter(run: Run) -> None:
    """The matter in the home side's catalogue, as an operator's tool publishes it."""
    from govhall.catalogue.testing import seed
    from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

    assert run.cluster is not None
    ch = run.cluster.channel("catalogue", "ops")
    try:
        stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
        await seed(stub, [(DEPARTMENT, "西陵区市场监督管理局")], [(MATTER, matter_draft())], site=SITE)
    finally:
        await ch.close()


def start(run: Run, args: argparse.Namespace) -> dict[str, str]:
    """The certificates, crossprovince as 420000 with its upstreams, and the bare server."""
    from govhall.crossprovince import devca

    infra = infra_env(not args.no_start)
    run.cluster = Cluster.plan(["crossprovince"], infra, run.work_dir, args.log_level)
    env = run.cluster.env()
    run.partner_port = int(env["GOVHALL_CROSSPROVINCE_PARTNER_PORT"])
    run.bare_port = free_port()
    endpoints = {HOME: f"127.0.0.1:{run.partner_port}", SENDER: f"127.0.0.1:{free_port()}"}
    devca.write_all(run.material, [HOME, SENDER], endpoints)
    for line in (run.material / HOME / "env").read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name and name != "GOVHALL_CROSSPROVINCE_PARTNER_PORT":
            env[name] = value
    env["GOVHALL_CROSSPROVINCE_PARTNER_HOST"] = "127.0.0.1"
    run.cluster.start(run.processes, env)
    home = run.material / HOME
    # The bare server trusts the same CA bundle the endpoint does: the partners' CAs.
    bundle = run.work_dir / "bare-ca.pem"
    bundle.write_bytes((run.material / SENDER / "ca.pem").read_bytes())
    argv = [
        sys.executable,
        str(Path(__file__).resolve().parent / "bare_partner.py"),
        "--port",
        str(run.bare_port),
        "--cert",
        str(home / "server.pem"),
        "--key",
        str(home / "server.key"),
        "--ca",
        str(bundle),
    ]
    bare_env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    run.processes.start("bare", argv, bare_env)
    return infra


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    t_start = time.monotonic()
    infra = start(run, args)
    bodies = handover_bodies(BODIES, args.materials_kib * 1024)

    def ready(port: int, signed: bool) -> Any:
        async def probe() -> bool:
            conn = PartnerConnection(Run(run.work_dir, run.processes), "probe", port, signed)
            try:
                await conn.send(bodies[0])
                return True
            except Exception:
                return False
            finally:
                await conn.channel.close()

        return probe

    await wait_until(
        run.processes, "the partner endpoint answering", ready(run.partner_port, True), START_TIMEOUT
    )
    await wait_until(run.processes, "the bare server answering", ready(run.bare_port, False), START_TIMEOUT)
    await publish_matter(run)
    log(f"ready after {time.monotonic() - t_start:.1f} s")

    targets = {
        "bare": Target(lambda: PartnerConnection(run, "bare", run.bare_port, False), bodies),  # type: ignore[arg-type, return-value]
        SUBJECT: Target(lambda: PartnerConnection(run, SUBJECT, run.partner_port, True), bodies),  # type: ignore[arg-type, return-value]
    }
    cpu_roots = {name: proc.pid for name, proc in run.processes.procs.items()}
    cpu_roots.update(server_pids(infra["GOVHALL_RUN"]))
    phases = await run_rounds(
        run.processes,
        ("bare", SUBJECT),
        targets,
        rounds=args.rounds,
        seconds=args.seconds,
        warmup=args.warmup,
        concurrency=args.concurrency,
        cpu_roots=cpu_roots,
    )
    sizes = [len(b) for b in bodies]
    return {
        "benchmark": "crossprovince_handover",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "log_level": args.log_level,
        "home": HOME,
        "sender": SENDER,
        "services": run.cluster.services if run.cluster else [],
        "handover_body_bytes": round(sum(sizes) / len(sizes)),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        "bare": summarise(phases["bare"]),
        SUBJECT: summarise(phases[SUBJECT]),
        "ratios": ratios(phases["bare"], phases[SUBJECT]),
        # Including the warm-up's: every receipt a target gave in this run.
        "receipts": {name: dict(run.receipts.get(name, {})) for name in ("bare", SUBJECT)},
        "accepted": {name: accepted(run, name) for name in ("bare", SUBJECT)},
        "rejected": {
            name: sum(run.receipts.get(name, Counter()).values()) - accepted(run, name)
            for name in ("bare", SUBJECT)
        },
        "rpc_failures": {name: dict(run.failures.get(name, {})) for name in ("bare", SUBJECT)},
    }


def accepted(run: Run, target: str) -> int:
    return run.receipts.get(target, Counter()).get("ACCEPTED", 0)


def print_table(result: dict[str, Any]) -> None:
    print()
    print(
        f"crossprovince handover {result['sender']} -> {result['home']}: {result['rounds']} rounds x"
        f" {result['seconds_per_round']:g} s each, concurrency {result['concurrency']},"
        f" handover body {result['handover_body_bytes']} B, {result['machine']['cpus']} CPUs"
    )
    summaries = {name: result[name] for name in ("bare", SUBJECT)}
    print_rows(summaries)
    print()
    print(ratio_line(f"{SUBJECT} / bare", result["ratios"]))
    for name in ("bare", SUBJECT):
        counts = ", ".join(f"{status} {n}" for status, n in sorted(result["receipts"][name].items()))
        print(
            f"receipts {name:<8} accepted {result['accepted'][name]}, rejected {result['rejected'][name]}"
            f" ({counts or 'none'})"
        )
    print_cpu(summaries, result["machine"]["cpus"])


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.cluster is not None:
        run.cluster.remove()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = load_parser(__doc__.split("\n\n")[0], RESULTS)
    p.add_argument("--materials-kib", type=int, default=24, help="the three materials' size together")
    args = p.parse_args(argv)
    check_load_bounds(p, args)
    if not 1 <= args.materials_kib <= 4096:
        p.error("--materials-kib must be in [1, 4096]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(
        lambda work, processes: Run(work, processes),
        lambda run: bench(run, args),
        cleanup,
        print_table,
        args.output,
    )


if __name__ == "__main__":
    sys.exit(main())
