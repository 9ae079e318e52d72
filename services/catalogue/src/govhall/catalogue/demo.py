"""The demo province (湖北省): seed data in `seed/hubei/`, read by `govhall.catalogue.seed`.

The site codes and names are the real GB/T 2260 ones and the legal bases cite real laws and
regulations, but the data is for demonstration only: guides are abridged, department telephone
numbers are fictitious, and three kinds of code follow this platform's own shape rather than the
national assignments, which are not public in full:

- matter codes: `<department code>-<4-digit serial>` (not the national implementation codes);
- base codes (基本编码, 12 characters): two digits for the matter type (the MatterType number,
  01 行政许可 … 07 公共服务), five for the main item and three for the sub-item (a serial per
  kind of matter), then "00"; the same kind carries the same base code on every site;
- licence type codes (证照类型代码, `licence_types.json`): the national catalogue's shape, the
  code of the body that defines the catalogue ("11100000000013338W", as in the e-licence
  identifier of GB/T 36903) followed by a three-digit serial. The serials are this demo's own;
  the licences service and any data that reuses licences must use these same codes.

Every kind of matter (`seed/hubei/kinds/`) is a full guide: structured materials (M01…) with
their form, copies, necessity and source (applicant, a reused electronic licence, or shared
government data), the review steps with the role for each, fees, where and when, themes, life
events and sub-audiences from the catalogue taxonomy, online depth and visits, and the guide
texts. Some kinds add situations (情形) whose answers select conditional materials and sections
of a JSON Schema application form.

    python -m govhall.catalogue.demo [ADDRESS] [--seed DIR]

loads the demo province (or another seed directory of the same shape: a site's own seed data)
into a running catalogue; `make up` does this. The default address is
GOVHALL_CATALOGUE_GRPC_ADDRESS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from govhall.catalogue.seed import (
    HALL,
    Article,
    Department,
    Kind,
    Matter,
    Site,
    read_seed,
)
from govhall.catalogue.seedloader import load_seed, load_seed_into
from govhall.kit.trust import Signer
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

__all__ = ["HALL", "Article", "Department", "Kind", "Matter", "Site"]

SEED_DIR = Path(__file__).resolve().parent / "seed" / "hubei"
WORKING_DAY = common_pb2.TIME_LIMIT_UNIT_WORKING_DAY
# Where the blank forms (空白表格) and filled-in samples (示例样表) of the demo are stored.
TEMPLATE_ROOT = "demo/templates"

PROVINCE = read_seed(SEED_DIR)
SITES = PROVINCE.sites
SITES_BY_CODE = {site.code: site for site in SITES}
DEPARTMENTS = PROVINCE.departments
DEPARTMENTS_BY_CODE = {dept.code: dept for dept in DEPARTMENTS}
LICENCE_TYPES = PROVINCE.licence_types
KINDS = PROVINCE.kinds
MATTERS = PROVINCE.matters
MATTERS_BY_CODE = {matter.code: matter for matter in MATTERS}
ARTICLES = PROVINCE.articles


def matter_requests() -> list[pb.CreateMatterRequest]:
    """A CreateMatter request for every demo matter, in a stable order."""
    return PROVINCE.matter_requests()


async def load_demo(
    stub: catalogue_pb2_grpc.CatalogueServiceStub,
    metadata: Sequence[tuple[str, str | bytes]],
    *,
    now: datetime | None = None,
) -> int:
    """Load the demo province through the catalogue's gRPC API; safe to run again (see seed.load_seed)."""
    return await load_seed(PROVINCE, stub, metadata, now=now)


async def load_demo_into(address: str, signer: Signer | None = None) -> int:
    """Load the demo province into the catalogue at address, as a platform administrator (with
    the operators' key: ``signer``, by default the one the platform settings name)."""
    return await load_seed_into(PROVINCE, address, signer)


if __name__ == "__main__":
    import argparse
    import asyncio
    import os

    parser = argparse.ArgumentParser(
        prog="python -m govhall.catalogue.demo", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "address", nargs="?", default=os.environ.get("GOVHALL_CATALOGUE_GRPC_ADDRESS", "127.0.0.1:50051")
    )
    parser.add_argument(
        "--seed", type=Path, default=SEED_DIR, help="a seed directory (default: the demo province)"
    )
    args = parser.parse_args()
    seed = PROVINCE if args.seed == SEED_DIR else read_seed(args.seed)
    published = asyncio.run(load_seed_into(seed, args.address))
    print(f"seed {args.seed.name}: {published} matters published at {args.address}")
