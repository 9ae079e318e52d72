"""All-in-one as one side of cross-province handling (跨省通办), with nothing set up.

The demo data is 湖北省, so all-in-one is 湖北 420000 by default; `make run-partner` starts a
second all-in-one as its neighbour 湖南 430000 (GOVHALL_ALLINONE_PROVINCE=430000, its own var dir
and ports). On the first start of either, a development CA, certificates, signing keys and both
sides' partners files are made with crossprovince's devca into one directory (by default the
var dir's crossprovince-allinone/, apart from `make up`'s crossprovince-dev/ for 210000 and
220000; the partner instance is pointed at the first one's) and kept: both
instances, and a restart of either, use the same material, so each trusts the other. The two
partner endpoints listen on loopback ports fixed in the partners files (50159 and 50169: apart
from `make up`'s 50059 and 50069, so all-in-one and the local cluster can run side by side).

An operator who sets GOVHALL_CROSSPROVINCE_TLS_CERT_FILE has certificates of their own: then the
GOVHALL_CROSSPROVINCE_* variables are used as they are and nothing is made.

Each instance writes <var>/crossprovince.env, the settings it runs crossprovince with (and its
var dir), so that the operators' commands act as that instance:
`python -m govhall.crossprovince ping --env var/crossprovince.env --partner 430000`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from govhall.crossprovince import devca
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.kit.settings import PlatformSettings

log = logging.getLogger("govhall.allinone")

HUBEI, HUNAN = "420000", "430000"
NAMES = {HUBEI: "湖北省", HUNAN: "湖南省"}
# The group both belong to (湘鄂赣 cooperate on 跨省通办 as the middle reaches of the Yangtze).
GROUP = "长江中游通办"
ENDPOINTS = {HUBEI: "127.0.0.1:50159", HUNAN: "127.0.0.1:50169"}
# What each side offers the other: matters of the demo province (both sides load it), a county's
# and the province's, in the modes 国办发〔2020〕35号 names.
OFFERED = [
    {
        "matter_code": "420502-SCJGJ-0002",
        "site_code": "420502",
        "modes": ["异地代收代办"],
        "groups": [GROUP],
    },
    {
        "matter_code": "420502-RSJ-0001",
        "site_code": "420502",
        "modes": ["全程网办", "异地代收代办"],
        "groups": [GROUP],
    },
    {"matter_code": "420000-RST-0001", "site_code": "420000", "modes": ["异地代收代办"], "groups": [GROUP]},
]
ENV_FILE = "crossprovince.env"


class AllInOneCrossprovince(BaseSettings):
    """GOVHALL_ALLINONE_*: which side this all-in-one is, and where the shared material lives."""

    model_config = SettingsConfigDict(env_prefix="GOVHALL_ALLINONE_", extra="ignore")

    province: Literal["420000", "430000"] = "420000"
    # The development material both instances share (unset: <var dir>/crossprovince-allinone).
    crossprovince_dir: Path | None = None
    # The partner endpoints written into the partners files when the material is made (tests
    # choose free ports); a JSON object {"420000": "127.0.0.1:50159", "430000": ...}.
    partner_endpoints: dict[str, str] = ENDPOINTS


@contextlib.contextmanager
def _exclusive(directory: Path) -> Iterator[None]:
    """Both instances may start at once: one makes the material, the other then finds it."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def ensure_material(directory: Path, endpoints: dict[str, str]) -> bool:
    """Both provinces' development material under ``directory``, made unless it is there; True
    if it was made now. Never remade: a partner already holding the other's CA and keys would
    refuse new ones."""
    codes = [HUBEI, HUNAN]
    with _exclusive(directory):
        if all((directory / code / "env").is_file() for code in codes):
            return False
        missing = [code for code in codes if code not in endpoints]
        if missing:
            raise ValueError(f"GOVHALL_ALLINONE_PARTNER_ENDPOINTS names no endpoint for {missing}")
        devca.write_all(directory, codes, {code: endpoints[code] for code in codes}, group=GROUP)
        for code in codes:
            partners = directory / code / "partners.json"
            data = json.loads(partners.read_text(encoding="utf-8"))
            for entry in data["partners"]:
                entry["name"] = NAMES[entry["code"]]
            partners.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            (directory / code / "offered-matters.json").write_text(
                json.dumps({"matters": OFFERED}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
            )
        return True


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)
    return {name: value for name, value in pairs}


def crossprovince_settings(
    platform: PlatformSettings, catalogue_address: str, cases_address: str, licences_address: str
) -> CrossprovinceSettings:
    """This instance's crossprovince settings: the operator's when they named certificates, else
    the development material's for this side (made on the first start)."""
    if os.environ.get("GOVHALL_CROSSPROVINCE_TLS_CERT_FILE"):
        return CrossprovinceSettings(
            database_url=None,
            catalogue_address=catalogue_address,
            cases_address=cases_address,
            licences_address=licences_address,
        )
    side = AllInOneCrossprovince()
    directory = (side.crossprovince_dir or platform.var_dir / "crossprovince-allinone").resolve()
    if ensure_material(directory, side.partner_endpoints):
        log.info("cross-province: development CA and keys for 420000 and 430000 made in %s", directory)
    env = _read_env(directory / side.province / "env")
    # Loopback only, as everything all-in-one serves.
    env["GOVHALL_CROSSPROVINCE_PARTNER_HOST"] = "127.0.0.1"
    prefix = "GOVHALL_CROSSPROVINCE_"
    fields = {name.removeprefix(prefix).lower(): value for name, value in env.items()}
    settings = CrossprovinceSettings(
        database_url=None,
        catalogue_address=catalogue_address,
        cases_address=cases_address,
        licences_address=licences_address,
        **fields,  # type: ignore[arg-type]
    )
    lines = {**env, "GOVHALL_VAR_DIR": str(platform.var_dir.resolve())}
    platform.var_dir.mkdir(parents=True, exist_ok=True)
    (platform.var_dir / ENV_FILE).write_text(
        "".join(f"{k}={v}\n" for k, v in lines.items()), encoding="utf-8"
    )
    log.info(
        "cross-province: %s %s, partner endpoint 127.0.0.1:%d (partners in %s)",
        side.province,
        NAMES[side.province],
        settings.partner_port,
        settings.partners_file,
    )
    return settings
