"""Who is calling: the gateway authenticates, services re-check authorisation.

`Authorization: Bearer <token>` carries either an access token issued by identity, verified
here against identity's JWKS (cached) and the shared list of revoked sessions, or the static
platform-administrator token. No header means an anonymous caller. FastAPI dependencies:
`Caller` (anyone, perhaps anonymous), `SignedIn` (a person, legal person or staff) and `Admin`
(the static token or staff: the catalogue decides whether that staff member administers the site).
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from govhall.gateway.settings import GatewaySettings
from govhall.kit.caller import ANONYMOUS
from govhall.kit.errors import DomainError, ErrorKind, forbidden
from govhall.kit.kv import KeyValueStore
from govhall.kit.tokens import JwksCache, RevocationList, TokenVerifier
from govhall.protos.common.v1 import common_pb2

ADMIN = common_pb2.CallerIdentity(
    kind=common_pb2.CALLER_KIND_ADMIN, subject="admin-token", name="platform admin"
)

SIGN_IN_FIRST = DomainError("UNAUTHENTICATED", "sign in first", "请先登录", ErrorKind.UNAUTHENTICATED)


class Authenticator:
    def __init__(
        self,
        settings: GatewaySettings,
        kv: KeyValueStore,
        fetch_jwks: Callable[[], Awaitable[dict[str, Any]]],
    ) -> None:
        self._admin_token = settings.admin_token.get_secret_value().encode()
        self.verifier = TokenVerifier(
            JwksCache(fetch_jwks, ttl_seconds=settings.jwks_cache_seconds),
            RevocationList(kv),  # read only: identity writes it and sets the hold
            issuer=settings.token_issuer,
            audience=settings.token_audience,
        )

    async def caller(self, authorization: str | None) -> common_pb2.CallerIdentity:
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise DomainError(
                "TOKEN_INVALID",
                "use Authorization: Bearer <access token>",
                "认证信息格式不正确，请重新登录",
                ErrorKind.UNAUTHENTICATED,
            )
        if self._admin_token and hmac.compare_digest(token.encode(), self._admin_token):
            return ADMIN
        return await self.verifier.verify(token)


def _authenticator(request: Request) -> Authenticator:
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator


async def _any_caller(
    # `str = ""`, not `str | None = None`: FastAPI unpicks an Optional header's type on every
    # request, which py-spy showed at a tenth of the gateway's CPU on GET /me.
    request: Request,
    authorization: Annotated[str, Header()] = "",
) -> common_pb2.CallerIdentity:
    return await _authenticator(request).caller(authorization)


async def _signed_in(
    caller: Annotated[common_pb2.CallerIdentity, Depends(_any_caller)],
) -> common_pb2.CallerIdentity:
    if caller.kind in (common_pb2.CALLER_KIND_ANONYMOUS, common_pb2.CALLER_KIND_UNSPECIFIED):
        raise SIGN_IN_FIRST
    return caller


async def _admin(
    caller: Annotated[common_pb2.CallerIdentity, Depends(_any_caller)],
) -> common_pb2.CallerIdentity:
    if caller.kind in (common_pb2.CALLER_KIND_ANONYMOUS, common_pb2.CALLER_KIND_UNSPECIFIED):
        raise DomainError(
            "UNAUTHENTICATED",
            "an administrator token or a staff login is required",
            "需要管理员令牌或工作人员登录",
            ErrorKind.UNAUTHENTICATED,
        )
    if caller.kind not in (common_pb2.CALLER_KIND_ADMIN, common_pb2.CALLER_KIND_STAFF):
        raise forbidden("only administrators and staff may do this", "仅管理员和工作人员可进行此操作")
    return caller


async def _platform_admin(
    caller: Annotated[common_pb2.CallerIdentity, Depends(_admin)],
) -> common_pb2.CallerIdentity:
    if caller.kind != common_pb2.CALLER_KIND_ADMIN:
        raise forbidden("only platform administrators may do this", "仅平台管理员可进行此操作")
    return caller


# Route parameter types: `caller: SignedIn` and so on. The app keeps its Authenticator in
# app.state.authenticator.
Caller = Annotated[common_pb2.CallerIdentity, Depends(_any_caller)]
SignedIn = Annotated[common_pb2.CallerIdentity, Depends(_signed_in)]
Admin = Annotated[common_pb2.CallerIdentity, Depends(_admin)]
PlatformAdmin = Annotated[common_pb2.CallerIdentity, Depends(_platform_admin)]
