"""The baseline of bench/consult_inbox.py: a bare NATS consumer writing one row per event.

No kit: nats-py pulls from a JetStream stream of its own (batches of 64, as the kit's consumers
fetch), decodes each CaseChanged with the generated protobuf class, and INSERTs one message-shaped
row (owner, event id, subject, a title and body built with an f-string) into a plain PostgreSQL
table over one asyncpg connection, autocommit, then acknowledges the message. No idempotency
table, no event envelope checks, no templates, no outbox: the least a consumer that turns each
event into a row does. It runs in its own process, as consult does.

    python bench/bare_consumer.py --nats-url URL --stream NAME --subject SUBJ --dsn DSN

The NATS user and password come from BENCH_NATS_USER / BENCH_NATS_PASSWORD (never argv).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import signal

import asyncpg
import nats
from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

from govhall.protos.cases.v1 import cases_pb2

TABLE = """
CREATE TABLE IF NOT EXISTS bare_messages (
    id bigserial PRIMARY KEY,
    owner_subject varchar(64) NOT NULL,
    source_event_id varchar(64) NOT NULL UNIQUE,
    subject varchar(100) NOT NULL,
    title varchar(200) NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL
)"""
INSERT = """INSERT INTO bare_messages (owner_subject, source_event_id, subject, title, body, created_at)
VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (source_event_id) DO NOTHING"""


async def consume(args: argparse.Namespace, stop: asyncio.Event) -> None:
    db = await asyncpg.connect(args.dsn, timeout=10)
    await db.execute(TABLE)
    nc = await nats.connect(
        args.nats_url,
        user=os.environ.get("BENCH_NATS_USER") or None,
        password=os.environ.get("BENCH_NATS_PASSWORD") or None,
    )
    js = nc.jetstream()
    with contextlib.suppress(Exception):  # the benchmark may have made it already
        await js.add_stream(StreamConfig(name=args.stream, subjects=[args.subject], storage=StorageType.FILE))
    config = ConsumerConfig(durable_name="bench-bare", ack_policy=AckPolicy.EXPLICIT, max_ack_pending=1000)
    sub = await js.pull_subscribe(args.subject, durable="bench-bare", stream=args.stream, config=config)
    print("ready", flush=True)
    try:
        while not stop.is_set():
            try:
                msgs = await sub.fetch(batch=64, timeout=1.0)
            except (NatsTimeout, TimeoutError):
                continue
            for msg in msgs:
                event = cases_pb2.CaseChanged.FromString(msg.data)
                event_id = (msg.headers or {}).get("Nats-Msg-Id", "")
                await db.execute(
                    INSERT,
                    event.applicant.subject,
                    event_id,
                    msg.subject,
                    f"申请已提交：{event.matter_name}",
                    f"您申请的“{event.matter_name}”已提交（申报号{event.application_number}）。",
                    dt.datetime.now(dt.UTC),
                )
                await msg.ack()
    finally:
        await nc.close()
        await db.close()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--nats-url", required=True)
    p.add_argument("--stream", required=True)
    p.add_argument("--subject", required=True, help="the stream's subjects, e.g. bench1.benchbare.>")
    p.add_argument("--dsn", required=True)
    args = p.parse_args()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await consume(args, stop)

    try:
        import uvloop

        uvloop.run(run())
    except ImportError:
        asyncio.run(run())


if __name__ == "__main__":
    main()
