"""python -m govhall.search.cli: search administration.

    reindex   rebuild the whole index from the catalogue and swap it in without downtime

It asks the running search service to do the work (the service is the one that writes live
events to both generations while the new one builds) and shows its progress as a bar. It
signs as a platform administrator with the operators' key (GOVHALL_TRUST_KEY_FILE, or ops.key
in the trust directory); the search service audits the call.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Never

import grpc
from tqdm import tqdm

from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import channel, domain_error, operator_caller, operator_signer
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.protos.search.v1 import search_pb2_grpc

Phase = pb.ReindexProgress.Phase


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m govhall.search.cli", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    reindex = commands.add_parser("reindex", help="rebuild the index from the catalogue, then swap it in")
    reindex.add_argument(
        "--address",
        default=os.environ.get("GOVHALL_SEARCH_GRPC_ADDRESS", "127.0.0.1:50052"),
        help="the search service's gRPC address (default: GOVHALL_SEARCH_GRPC_ADDRESS or 127.0.0.1:50052)",
    )
    reindex.add_argument("--batch-size", type=int, default=500, help="documents per bulk write")
    return parser


async def reindex(address: str, batch_size: int, *, show_progress: bool = True) -> pb.ReindexProgress:
    """Run a reindex through the search service at address; the last progress message."""
    ch = channel(address, signer=operator_signer(), audience="search")
    last = pb.ReindexProgress()
    bar: tqdm[Never] | None = None  # a bar over no iterable: its item type is Never
    try:
        stub = search_pb2_grpc.SearchServiceStub(ch)
        stream = stub.Reindex(
            pb.ReindexRequest(batch_size=batch_size),
            metadata=caller_metadata(operator_caller("search CLI")),
            timeout=7_200,
        )
        async for progress in stream:
            last = progress
            if progress.phase == Phase.PHASE_STARTED and show_progress:
                print(
                    f"building {progress.new_index} (replacing {progress.old_index or 'nothing'})",
                    file=sys.stderr,
                )
            if progress.phase == Phase.PHASE_INDEXING and show_progress:
                if bar is None:
                    bar = tqdm(total=progress.total, unit="doc", desc="indexing", file=sys.stderr)
                bar.update(progress.done - int(bar.n))
        if bar is not None:
            bar.update(last.done - bar.n)
    except grpc.aio.AioRpcError as err:
        raise domain_error(err) from None
    finally:
        if bar is not None:
            bar.close()
        await ch.close()
    return last


def main(argv: list[str] | None = None) -> int:
    from govhall.kit.errors import DomainError

    args = _parser().parse_args(argv)
    try:
        last = asyncio.run(reindex(args.address, args.batch_size))
    except DomainError as err:
        print(f"reindex failed: {err.message_zh} ({err.code}: {err.message})", file=sys.stderr)
        return 1
    if last.phase != Phase.PHASE_DONE:
        print("reindex ended before the swap; the current index is unchanged", file=sys.stderr)
        return 1
    print(f"reindexed {last.done} documents into {last.new_index}; {last.old_index or 'nothing'} dropped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
