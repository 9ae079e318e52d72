"""Identity through the gateway against bare FastAPI endpoints, measured in the same run.

    uv run python bench/identity_vs_bare.py [--users N] [--seconds S] [--rounds R] [--concurrency C]
                                            [--verify-seconds V] [--client raw|httpx] [--no-start]

Subjects, on the gateway, with the gateway and every service it calls (see cluster.py; only
identity is busy here) as separate processes against the local servers (PostgreSQL, NATS, Redis,
Elasticsearch; started by deploy/local/start.sh), identity with its
production password hashing (argon2id, the settings' defaults: 64 MiB, 3 passes):

- login: POST /api/v1/auth/login {"method": "password", ...}, cycling through N registered,
  real-name verified users: the gateway, a gRPC call, identity's lock-out check in Redis, the
  account lookup, one argon2id verification, a new session and refresh token in PostgreSQL and
  a signed access token.
- me: GET /api/v1/me with those users' access tokens: the gateway verifies the token (EdDSA,
  cached JWKS, the revocation list in Redis) and calls identity's GetMe (session and account
  from PostgreSQL, the ID and mobile numbers decrypted and masked). The gateway has no
  verification-only route, so this is verification plus one gRPC call.

Baselines: bench/bare_app.py (its own process, uvicorn as the gateway runs) with routes of the
same shape: POST /api/v1/auth/login validates the same JSON body and returns a token-pair-shaped
reply, GET /api/v1/me requires a bearer header and returns an account-shaped reply; no I/O, no
hashing, no crypto. Baseline and subject alternate in rounds (bare, gateway, gateway, bare, ...).

And in this process, with the servers idle: TokenVerifier.verify (govhall.kit.tokens, as the
gateway uses it) on the same access tokens, without and with the Redis revocation list, against
jwt.decode(..., options={"verify_signature": False}) of the same tokens, in alternating rounds.

Every loop is bounded in time and count, traffic goes only to 127.0.0.1, and all processes,
databases, streams and Redis keys of the run are removed on the way out, also on error or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import platform
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cluster import GATEWAY, Cluster
from common import (
    RESULTS_DIR,
    START_TIMEOUT,
    Call,
    Processes,
    Target,
    check_load_bounds,
    client_address,
    connector,
    free_port,
    get_json,
    infra_env,
    load_parser,
    log,
    percentile,
    print_cpu,
    print_rows,
    ratio_line,
    ratios,
    request_json,
    run_main,
    run_rounds,
    server_pids,
    start_bare,
    summarise,
    wait_until,
)

RESULTS = RESULTS_DIR / "identity_vs_bare.json"
SECTIONS = ("login", "me")
PASSWORD = "Hubei-bench-2026"
NAMES = ("张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄敏", "周杰", "吴霞", "徐斌", "孙丽")
MAX_USERS = 200
# Bound on one in-process verification phase, whatever --verify-seconds says.
MAX_OPS_PER_PHASE = 2_000_000


# ---------------------------------------------------------------------------------------------
# Set-up and clean-up


@dataclass
class Run:
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None  # the services and this run's names on the servers
    bare_port: int = 0

    @property
    def c(self) -> Cluster:
        assert self.cluster is not None, "the services are not planned yet"
        return self.cluster


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.cluster is not None:
        run.cluster.remove()


# ---------------------------------------------------------------------------------------------
# Users


@dataclass
class User:
    mobile: str
    name: str
    id_number: str
    access_token: str = ""


def new_user(n: int) -> User:
    from govhall.kit.validators import id_number_check_char

    r = uuid.uuid4().int
    body = f"420502{1960 + r % 40}{r // 40 % 12 + 1:02d}{r // 480 % 28 + 1:02d}{n % 1000:03d}"
    return User(f"137{r // 13440 % 10**8:08d}", NAMES[n % len(NAMES)], body + id_number_check_char(body))


async def create_users(run: Run, count: int, parallel: int = 2) -> tuple[list[User], float]:
    """Register and real-name verify ``count`` persons through identity's gRPC API (the SMS
    code read off the development SMS file). Returns them and the mean seconds per user."""
    # Imported here: grpc starts threads, and the processes must all be started before that.
    import grpc
    import jwt

    from govhall.identity.adapters import latest_dev_code
    from govhall.kit.caller import caller_metadata
    from govhall.kit.tokens import caller_from_claims
    from govhall.protos.identity.v1 import identity_pb2 as pb
    from govhall.protos.identity.v1 import identity_pb2_grpc

    ch = run.c.channel("identity", "gateway")  # newcomers, as the gateway passes them on
    stub = identity_pb2_grpc.IdentityServiceStub(ch)
    by_mobile: dict[str, User] = {}
    while len(by_mobile) < count:  # distinct mobiles: a repeat would be refused as registered
        user = new_user(len(by_mobile))
        by_mobile.setdefault(user.mobile, user)
    users = list(by_mobile.values())
    gate = asyncio.Semaphore(parallel)

    async def create(user: User) -> None:
        async with gate:
            await stub.SendSmsCode(
                pb.SendSmsCodeRequest(mobile=user.mobile, purpose=pb.SMS_PURPOSE_REGISTER), timeout=30
            )
            code = latest_dev_code(run.c.sms_file, user.mobile, "register")
            assert code, f"no code for {user.mobile}"
            await stub.RegisterPerson(
                pb.RegisterPersonRequest(mobile=user.mobile, sms_code=code, password=PASSWORD), timeout=30
            )
            tokens = await stub.Login(
                pb.LoginRequest(password=pb.PasswordLogin(login_name=user.mobile, password=PASSWORD)),
                timeout=30,
            )
            # Identity signed it a moment ago: its claims are the caller, as the gateway would pass on.
            caller = caller_from_claims(jwt.decode(tokens.access_token, options={"verify_signature": False}))
            await stub.VerifyRealName(
                pb.VerifyRealNameRequest(name=user.name, id_number=user.id_number),
                metadata=caller_metadata(caller),
                timeout=30,
            )

    t0 = time.perf_counter()
    try:
        await asyncio.gather(*(create(u) for u in users))
    except grpc.aio.AioRpcError as err:
        raise RuntimeError(f"creating users failed: {err.code()} {err.details()}") from None
    finally:
        await ch.close()
    return users, (time.perf_counter() - t0) / max(count, 1)


def login_body(user: User) -> dict[str, str]:
    return {"method": "password", "login_name": user.mobile, "password": PASSWORD}


async def sign_in(run: Run, users: list[User]) -> None:
    """One access token per user, through the gateway."""
    for user in users:
        status, body = await request_json(
            run.c.gateway_port, Call.post_json("/api/v1/auth/login", login_body(user))
        )
        if status != 200 or not body:
            raise RuntimeError(f"login through the gateway: HTTP {status} {body}")
        user.access_token = body["access_token"]


# ---------------------------------------------------------------------------------------------
# In-process token verification


@dataclass
class OpsPhase:
    name: str
    round: int
    seconds: float = 0.0
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def ops(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


async def ops_phase(
    name: str, round_no: int, op: Callable[[str], Awaitable[Any]], tokens: list[str], seconds: float
) -> OpsPhase:
    phase = OpsPhase(name, round_no)
    t0 = time.perf_counter()
    deadline = t0 + seconds
    at = 0
    while phase.ok + phase.errors < MAX_OPS_PER_PHASE:
        start = time.perf_counter()
        if start >= deadline:
            break
        try:
            await op(tokens[at % len(tokens)])
        except Exception:
            phase.errors += 1
        else:
            phase.ok += 1
            phase.latencies.append(time.perf_counter() - start)
        at += 1
    phase.seconds = time.perf_counter() - t0
    return phase


def ops_summary(phases: list[OpsPhase]) -> dict[str, Any]:
    latencies = sorted(x for p in phases for x in p.latencies)
    seconds = sum(p.seconds for p in phases)
    ok = sum(p.ok for p in phases)
    return {
        "ops": ok,
        "errors": sum(p.errors for p in phases),
        "seconds": round(seconds, 3),
        "ops_per_second": ok / seconds if seconds else 0.0,
        "p50_us": percentile(latencies, 0.50) * 1e6,
        "p99_us": percentile(latencies, 0.99) * 1e6,
        "rounds_ops_per_second": [round(p.ops, 1) for p in phases],
    }


async def measure_verification(run: Run, tokens: list[str], args: argparse.Namespace) -> dict[str, Any]:
    import jwt

    from govhall.kit.kv import create_kv
    from govhall.kit.testing import redis_credentials
    from govhall.kit.tokens import JwksCache, RevocationList, TokenVerifier

    async def fetch() -> dict[str, Any]:
        status, body = await get_json(run.c.gateway_port, "/.well-known/jwks.json")
        if status != 200 or not isinstance(body, dict):
            raise RuntimeError(f"JWKS: HTTP {status}")
        return body

    # Reads the revocations as the gateway does, as its Redis user.
    kv = create_kv(
        run.c.infra["GOVHALL_REDIS_URL"], run.c.kv_namespace, **redis_credentials(run.c.infra, "gateway")
    )
    keys = JwksCache(fetch)
    plain = TokenVerifier(keys)
    revocations = TokenVerifier(keys, RevocationList(kv))

    async def decode(token: str) -> Any:
        return jwt.decode(token, options={"verify_signature": False})

    ops: dict[str, Callable[[str], Awaitable[Any]]] = {
        "decode": decode,
        "verify": plain.verify,
        "verify+redis": revocations.verify,
    }
    try:
        for name, op in ops.items():  # warm-up; also fetches the JWKS
            warm = await ops_phase(name, 0, op, tokens, min(args.warmup, 1.0))
            if warm.errors:
                raise RuntimeError(f"{name}: {warm.errors} of {warm.ok + warm.errors} failed in the warm-up")
        phases: dict[str, list[OpsPhase]] = {name: [] for name in ops}
        order = list(ops)
        for r in range(1, args.rounds + 1):
            for name in order if r % 2 else order[::-1]:
                phase = await ops_phase(name, r, ops[name], tokens, args.verify_seconds)
                phases[name].append(phase)
                log(f"round {r} {name:<12} {phase.ops:10.0f} ops/s")
    finally:
        await kv.close()
    out: dict[str, Any] = {name: ops_summary(p) for name, p in phases.items()}
    base = out["decode"]["ops_per_second"]
    out["ratios"] = {
        name: out[name]["ops_per_second"] / base if base else math.nan for name in ("verify", "verify+redis")
    }
    return out


# ---------------------------------------------------------------------------------------------
# The benchmark


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    t_start = time.monotonic()
    run.bare_port = free_port()
    # The gateway and everything /healthz/upstreams waits for (catalogue, search and cases are idle here).
    run.cluster = Cluster.plan([GATEWAY], infra_env(not args.no_start), run.work_dir, args.log_level)
    env = run.cluster.env()
    run.cluster.start(run.processes, env)
    start_bare(run.processes, run.bare_port, args.log_level, env)

    async def gateway_ready() -> bool:
        return (await get_json(run.c.gateway_port, "/healthz/upstreams"))[0] == 200

    async def bare_ready() -> bool:
        return (await get_json(run.bare_port, "/healthz"))[0] == 200

    await wait_until(
        run.processes, "the upstreams serving (/healthz/upstreams)", gateway_ready, START_TIMEOUT
    )
    await wait_until(run.processes, "the bare app up", bare_ready, START_TIMEOUT)
    users, per_user = await create_users(run, args.users)
    log(f"{len(users)} users registered and verified, {per_user * 1000:.0f} ms each")
    await sign_in(run, users)
    log(f"ready after {time.monotonic() - t_start:.1f} s")

    cpu_roots = {name: proc.pid for name, proc in run.processes.procs.items()}
    cpu_roots.update(server_pids(run.c.infra["GOVHALL_RUN"]))
    bare, gateway = connector(args.client, run.bare_port), connector(args.client, run.c.gateway_port)
    logins = [Call.post_json("/api/v1/auth/login", login_body(u)) for u in users]
    mes = [Call.get("/api/v1/me", bearer=u.access_token) for u in users]
    sections = {name: calls for name, calls in (("login", logins), ("me", mes)) if name in args.sections}
    results: dict[str, Any] = {}
    for section, calls in sections.items():
        log(f"{section}: {calls[0].method.decode()} {calls[0].target.decode()}")
        phases = await run_rounds(
            run.processes,
            ("bare", "gateway"),
            {"bare": Target(bare, calls), "gateway": Target(gateway, calls)},
            rounds=args.rounds,
            seconds=args.seconds,
            warmup=args.warmup,
            concurrency=args.concurrency,
            cpu_roots=cpu_roots,
        )
        results[section] = {
            "bare": summarise(phases["bare"]),
            "gateway": summarise(phases["gateway"]),
            "ratios": ratios(phases["bare"], phases["gateway"]),
        }

    log("token verification in this process")
    verification = await measure_verification(run, [u.access_token for u in users], args)
    return {
        "benchmark": "identity_vs_bare",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "client": args.client,
        "client_address": client_address() or "default",
        "concurrency": args.concurrency,
        "rounds": args.rounds,
        "seconds_per_round": args.seconds,
        "verify_seconds_per_round": args.verify_seconds,
        "log_level": args.log_level,
        "users": len(users),
        "register_and_verify_ms_per_user": round(per_user * 1000, 1),
        "argon2": _argon2_settings(),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
        **results,
        "verification": verification,
    }


def _argon2_settings() -> dict[str, int]:
    from govhall.identity.settings import IdentitySettings

    fields = IdentitySettings.model_fields
    return {
        "time_cost": fields["argon2_time_cost"].default,
        "memory_kib": fields["argon2_memory_kib"].default,
        "parallelism": fields["argon2_parallelism"].default,
    }


def print_table(result: dict[str, Any]) -> None:
    a = result["argon2"]
    print()
    print(
        f"identity vs bare: {result['rounds']} rounds x {result['seconds_per_round']:g} s each,"
        f" concurrency {result['concurrency']}, {result['client']} client, {result['machine']['cpus']} CPUs,"
        f" {result['users']} users, argon2id t={a['time_cost']} m={a['memory_kib']} KiB p={a['parallelism']}"
    )
    for section, title in (
        ("login", "POST /api/v1/auth/login (password)"),
        ("me", "GET /api/v1/me (token verification + GetMe)"),
    ):
        if section not in result:
            continue
        s = result[section]
        summaries = {"bare": s["bare"], "gateway": s["gateway"]}
        print()
        print(title)
        print_rows(summaries)
        print(ratio_line("gateway / bare", s["ratios"]))
        print_cpu(summaries, result["machine"]["cpus"])
    v = result["verification"]
    print()
    print(
        f"access-token verification in-process, one task, {result['rounds']} rounds x"
        f" {result['verify_seconds_per_round']:g} s"
    )
    header = f"{'':<14}{'ops':>10}{'errors':>8}{'ops/s':>11}{'p50 us':>9}{'p99 us':>9}{'/ decode':>10}"
    print(header)
    print("-" * len(header))
    for name in ("decode", "verify", "verify+redis"):
        s = v[name]
        ratio = f"{v['ratios'][name]:.3f}x" if name in v["ratios"] else ""
        print(
            f"{name:<14}{s['ops']:>10}{s['errors']:>8}{s['ops_per_second']:>11.0f}{s['p50_us']:>9.1f}"
            f"{s['p99_us']:>9.1f}{ratio:>10}"
        )
    print("  decode: jwt.decode without verifying the signature; verify: TokenVerifier.verify")
    print("  (a token seen before: its expiry and key; the first sight adds the EdDSA signature and claims);")
    print("  verify+redis: with the revocation list in Redis, as the gateway")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = load_parser(__doc__.split("\n\n")[0], RESULTS)
    p.add_argument("--users", type=int, default=24, help="registered users the logins cycle through")
    p.add_argument(
        "--sections",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS),
        help="which subjects to measure (login's argon2id takes long on a loaded machine)",
    )
    p.add_argument(
        "--verify-seconds", type=float, default=2.0, help="seconds per in-process verification phase"
    )
    args = p.parse_args(argv)
    check_load_bounds(p, args)
    if not (0 < args.verify_seconds <= 60):
        p.error("--verify-seconds must be in (0, 60]")
    if not 1 <= args.users <= MAX_USERS:
        p.error(f"--users must be in [1, {MAX_USERS}]")
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
