"""The identity service running for real (gRPC), on SQLite with the key-value file under var/ and
on PostgreSQL with Redis: the two ways it is deployed."""

from __future__ import annotations

import itertools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
import sqlalchemy as sa

from govhall.catalogue import app as catalogue_app
from govhall.contracts import catalogue as catalogue_events
from govhall.identity import app as identity_app
from govhall.identity import store
from govhall.identity.adapters import latest_dev_code
from govhall.identity.crypto import FieldCipher, load_data_key
from govhall.identity.settings import IdentitySettings
from govhall.kit import testing
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.events import Delivery, make_event
from govhall.kit.grpcclient import domain_error
from govhall.kit.grpcserver import GrpcServer
from govhall.kit.kv import KeyValueStore
from govhall.kit.settings import platform_kv
from govhall.kit.testing import as_service, caller_channel, wait_until
from govhall.kit.tokens import JwksCache, RevocationList, TokenVerifier
from govhall.kit.validators import credit_code_check_char, id_number_check_char
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb
from govhall.protos.identity.v1 import identity_pb2_grpc

T = TypeVar("T")

ADMIN = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="admin")
SERVICE = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="cases")
PASSWORD = "Hubei2026!"

SITES = [
    ("420000", "湖北省", cat.SITE_LEVEL_PROVINCE, ["420000"]),
    ("420100", "武汉市", cat.SITE_LEVEL_CITY, ["420000", "420100"]),
    ("420102", "江岸区", cat.SITE_LEVEL_COUNTY, ["420000", "420100", "420102"]),
    ("420500", "宜昌市", cat.SITE_LEVEL_CITY, ["420000", "420500"]),
    ("420502", "西陵区", cat.SITE_LEVEL_COUNTY, ["420000", "420500", "420502"]),
]

_serial = itertools.count(1)


async def inside_one_window(window_seconds: int, needed_seconds: float = 10.0) -> None:
    """Limits count in fixed windows (a minute, an hour): a test that fills one must not straddle
    the boundary, so wait for the next window if this one is about to end."""
    if window_seconds - time.time() % window_seconds < needed_seconds:
        await wait_until(
            lambda: window_seconds - time.time() % window_seconds >= needed_seconds,
            timeout=needed_seconds + 5,
            interval=0.1,
            what="the next window",
        )


def new_mobile() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def new_id_number() -> str:
    r = uuid.uuid4().int
    body = f"420102{1960 + r % 40}{r // 40 % 12 + 1:02d}{r // 480 % 28 + 1:02d}{next(_serial) % 1000:03d}"
    return body + id_number_check_char(body)


def new_credit_code() -> str:
    body = f"91420100MA4K{uuid.uuid4().int % 10**5:05d}"
    return body + credit_code_check_char(body)


class FakeCatalogue(catalogue_pb2_grpc.CatalogueServiceServicer):
    """The catalogue as identity asks it for a site its copy lacks: the sites it knows, and who asked."""

    def __init__(self) -> None:
        self.sites: dict[str, cat.Site] = {}
        self.asked: list[str] = []
        self.unavailable = False

    async def GetSite(self, request: cat.GetSiteRequest, context: Any) -> cat.Site:
        self.asked.append(request.code)
        if self.unavailable:
            raise DomainError("DATABASE_DOWN", "database down", "数据库不可用", ErrorKind.UNAVAILABLE)
        if request.code not in self.sites:
            raise DomainError("SITE_NOT_FOUND", "no such site", "站点不存在", ErrorKind.NOT_FOUND)
        return self.sites[request.code]


def site_message(code: str, name: str, level: int, path: list[str]) -> cat.Site:
    return cat.Site(
        code=code, name=name, level=level, path=path, parent_code=path[-2] if len(path) > 1 else ""
    )  # type: ignore[arg-type]


@dataclass
class Identity:
    stub: identity_pb2_grpc.IdentityServiceStub
    settings: IdentitySettings
    kv: KeyValueStore
    # As the gateway verifies (with the revocation list), and without it (to reach identity's own checks).
    verifier: TokenVerifier
    plain: TokenVerifier
    bus: InProcessBus
    host: Any
    cipher: FieldCipher
    catalogue: FakeCatalogue
    events: list[Delivery] = field(default_factory=list)

    async def published(self, subject: str, count: int = 1) -> list[Delivery]:
        """The events of subject published so far, once there are count (the relay publishes
        after the commit, so an event may not be out yet when the RPC has answered)."""

        def enough() -> list[Delivery]:
            found = [e for e in self.events if e.subject == subject]
            return found if len(found) >= count else []

        return await wait_until(enough, what=f"{count} event(s) {subject}")

    async def call(
        self, method: str, request: Any, caller: common_pb2.CallerIdentity | str | None = None
    ) -> Any:
        """Call an RPC as a caller (an identity, or an access token verified like the gateway does)."""
        if isinstance(caller, str):
            caller = await self.verifier.verify(caller)
        metadata = caller_metadata(caller) if caller is not None else ()
        try:
            return await getattr(self.stub, method)(request, metadata=metadata, timeout=10)
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    async def fails(self, code: str, awaitable: Awaitable[T]) -> DomainError:
        with pytest.raises(DomainError) as caught:
            await awaitable
        assert caught.value.code == code, f"{caught.value.code}: {caught.value.message}"
        return caught.value

    async def expire_codes(self) -> None:
        async with self.host.db.uow() as uow:
            await uow.conn.execute(
                sa.update(store.sms_codes).values(expires_at=store.now() - timedelta(seconds=1))
            )
            await uow.commit()

    async def age_authorisation(self, authorisation_id: str) -> None:
        async with self.host.db.uow() as uow:
            await uow.conn.execute(
                sa.update(store.agent_authorisations)
                .where(store.agent_authorisations.c.id == authorisation_id)
                .values(expires_at=store.now() - timedelta(seconds=1))
            )
            await uow.commit()

    def sms(self, mobile: str, purpose: str | None = None) -> str:
        path = self.settings.dev_sms_file
        assert path is not None
        code = latest_dev_code(path, mobile, purpose)
        assert code is not None, f"no code was sent to {mobile}"
        return code

    async def send_code(self, mobile: str, purpose: int, caller: Any = None, client_ip: str = "") -> str:
        """Send a code and read it off the development SMS file; mobile "" means the caller's own."""
        request = pb.SendSmsCodeRequest(mobile=mobile, purpose=purpose, client_ip=client_ip)  # type: ignore[arg-type]
        if not mobile:
            me = await self.call("GetMe", pb.GetMeRequest(), caller)
            mobile = self.cipher.decrypt((await self._row(me.id)).mobile_enc, "mobile")
        await self.kv.delete(f"sms:gap:{self.host_index(mobile)}")  # tests send faster than people do
        await self.call("SendSmsCode", request, caller)
        return self.sms(mobile)

    async def _row(self, account_id: str) -> Any:
        async with self.host.db.reader() as uow:
            return await store.get_account(uow, account_id)

    def host_index(self, mobile: str) -> str:
        return self.cipher.blind_index(mobile, "mobile")

    async def register(self, mobile: str | None = None, username: str = "") -> tuple[str, pb.Account]:
        mobile = mobile or new_mobile()
        code = await self.send_code(mobile, pb.SMS_PURPOSE_REGISTER)
        account = await self.call(
            "RegisterPerson",
            pb.RegisterPersonRequest(mobile=mobile, sms_code=code, password=PASSWORD, username=username),
        )
        return mobile, account

    async def login(self, login_name: str, password: str = PASSWORD, client_ip: str = "") -> pb.TokenPair:
        return await self.call(
            "Login",
            pb.LoginRequest(
                password=pb.PasswordLogin(login_name=login_name, password=password), client_ip=client_ip
            ),
        )

    async def verified_person(self, name: str = "张三") -> tuple[str, str, pb.TokenPair]:
        """A registered, real-name verified person: (mobile, ID number, tokens)."""
        mobile, _ = await self.register()
        tokens = await self.login(mobile)
        id_number = new_id_number()
        await self.call(
            "VerifyRealName", pb.VerifyRealNameRequest(name=name, id_number=id_number), tokens.access_token
        )
        return mobile, id_number, await self.login(mobile)


@pytest.fixture
def identity_overrides() -> dict[str, Any]:
    """Settings a test changes: `@pytest.mark.parametrize("identity_overrides", [{...}])`."""
    return {}


@pytest.fixture
async def identity(
    request: pytest.FixtureRequest,
    db_url: str,
    tmp_path: Path,
    platform: Any,
    start_service: Any,
    identity_overrides: dict[str, Any],
) -> AsyncIterator[Identity]:
    """On SQLite with the key-value file under var/ (as in all-in-one mode), and on PostgreSQL with Redis."""
    namespace = f"t{uuid.uuid4().hex[:10]}"
    if db_url.startswith("postgresql"):
        cluster = request.getfixturevalue("cluster")
        platform = as_service(platform, cluster, "identity")
    # The catalogue identity asks for a site its copy lacks: it knows what the events told identity.
    catalogue = FakeCatalogue()
    catalogue_server = GrpcServer(
        "127.0.0.1:0",
        [
            (
                catalogue_pb2_grpc.add_CatalogueServiceServicer_to_server,
                catalogue,
                cat.DESCRIPTOR.services_by_name["CatalogueService"].full_name,
            )
        ],
        verifier=testing.verifier("catalogue", catalogue_app.SPEC.callers),  # as the real one checks identity
    )
    await catalogue_server.start()
    settings = IdentitySettings(
        database_url=db_url,
        catalogue_address=catalogue_server.address,
        # Cheap hashing keeps the suite quick; the benchmark uses the production cost.
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        dev_sms_file=tmp_path / "sms.jsonl",
        kv_namespace=namespace,
        **{"signing_key_activation_seconds": 1.0, **identity_overrides},
    )
    bus = InProcessBus()
    seen: list[Delivery] = []

    async def record(delivery: Delivery) -> None:
        seen.append(delivery)

    await bus.subscribe("test-identity-events", "identity.>", record)
    host = await start_service(identity_app.SPEC, settings, platform, bus)
    for code, name, level, path in SITES:
        site = site_message(code, name, level, path)
        catalogue.sites[code] = site
        await bus.publish(make_event(catalogue_events.SITE_UPSERTED, cat.SiteUpserted(site=site), code))

    async def copied() -> bool:
        async with host.db.reader() as uow:
            return await uow.conn.scalar(sa.select(sa.func.count()).select_from(store.sites.t)) == len(SITES)

    # The tests start once identity has the sites from the events, not by asking the catalogue.
    await wait_until(copied, what="identity's copy of the sites")
    ch = caller_channel(host.address, "identity")

    async def jwks() -> dict[str, Any]:
        from google.protobuf.json_format import MessageToDict

        reply = await identity_pb2_grpc.IdentityServiceStub(ch).GetJwks(pb.GetJwksRequest())
        return MessageToDict(reply, preserving_proto_field_name=True)

    # Identity's own keys (the tests clear its SMS resend gaps), as identity's Redis user.
    kv = platform_kv(platform, namespace)

    keys = JwksCache(jwks, min_refresh_seconds=0.5)
    verifier = TokenVerifier(keys, RevocationList(kv), issuer=settings.issuer, audience=settings.audience)
    plain = TokenVerifier(keys, None, issuer=settings.issuer, audience=settings.audience)
    cipher = FieldCipher(load_data_key("", platform.var_dir))
    yield Identity(
        identity_pb2_grpc.IdentityServiceStub(ch),
        settings,
        kv,
        verifier,
        plain,
        bus,
        host,
        cipher,
        catalogue,
        seen,
    )
    await ch.close()
    await catalogue_server.stop(0)
    await kv.close()
