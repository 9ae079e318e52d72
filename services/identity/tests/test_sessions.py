"""Sessions: access tokens, rotating refresh tokens, logout, signing keys."""

from __future__ import annotations

import base64
import json

import pytest

from govhall.kit.testing import wait_until
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import ADMIN, Identity


def kid(token: str) -> str:
    return str(json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))["kid"])


async def test_access_token_is_eddsa_with_a_kid_from_the_jwks(identity: Identity) -> None:
    mobile, account = await identity.register()
    pair = await identity.login(mobile)
    header = json.loads(base64.urlsafe_b64decode(pair.access_token.split(".")[0] + "=="))
    jwks = await identity.call("GetJwks", pb.GetJwksRequest())
    assert header["alg"] == "EdDSA" and header["kid"] in [k.kid for k in jwks.keys]
    assert all(k.kty == "OKP" and k.crv == "Ed25519" and k.use == "sig" for k in jwks.keys)
    assert pair.expires_in_seconds == identity.settings.access_token_seconds
    caller = await identity.verifier.verify(pair.access_token)
    assert caller.kind == common_pb2.CALLER_KIND_PERSON and caller.subject == account.id


async def test_refresh_rotates_and_a_reused_token_ends_the_session(identity: Identity) -> None:
    mobile, _ = await identity.register()
    first = await identity.login(mobile)
    second = await identity.call("Refresh", pb.RefreshRequest(refresh_token=first.refresh_token))
    assert second.refresh_token != first.refresh_token
    third = await identity.call("Refresh", pb.RefreshRequest(refresh_token=second.refresh_token))
    # The first token again: someone copied it. The whole session ends.
    await identity.fails(
        "REFRESH_TOKEN_REUSED", identity.call("Refresh", pb.RefreshRequest(refresh_token=first.refresh_token))
    )
    await identity.fails(
        "SESSION_ENDED", identity.call("Refresh", pb.RefreshRequest(refresh_token=third.refresh_token))
    )
    await identity.fails("TOKEN_REVOKED", identity.verifier.verify(third.access_token))
    await identity.fails(
        "SESSION_ENDED", identity.call("Refresh", pb.RefreshRequest(refresh_token="made-up"))
    )
    # Other sessions are untouched.
    await identity.call("GetMe", pb.GetMeRequest(), (await identity.login(mobile)).access_token)


async def test_logout_ends_the_access_and_refresh_tokens(identity: Identity) -> None:
    mobile, _ = await identity.register()
    kept, pair = await identity.login(mobile), await identity.login(mobile)
    await identity.call("Logout", pb.LogoutRequest(refresh_token=pair.refresh_token), pair.access_token)
    await identity.fails("TOKEN_REVOKED", identity.verifier.verify(pair.access_token))
    await identity.fails(
        "SESSION_ENDED",
        identity.call("GetMe", pb.GetMeRequest(), await identity.plain.verify(pair.access_token)),
    )
    await identity.fails(
        "SESSION_ENDED", identity.call("Refresh", pb.RefreshRequest(refresh_token=pair.refresh_token))
    )
    # Another device's session goes on; its refresh token cannot end somebody else's session.
    await identity.call("GetMe", pb.GetMeRequest(), kept.access_token)
    await identity.fails(
        "FORBIDDEN",
        identity.call(
            "Logout",
            pb.LogoutRequest(refresh_token=pair.refresh_token),
            await identity.plain.verify(kept.access_token),
        ),
    )


# Long enough that the login just after the rotation comes before it on a loaded machine too.
@pytest.mark.parametrize("identity_overrides", [{"signing_key_activation_seconds": 5.0}])
async def test_rotating_the_signing_key_keeps_old_tokens_valid(identity: Identity) -> None:
    mobile, _ = await identity.register()
    before = await identity.login(mobile)
    await identity.fails(
        "FORBIDDEN", identity.call("RotateSigningKey", pb.RotateSigningKeyRequest(), before.access_token)
    )
    jwks = await identity.call("RotateSigningKey", pb.RotateSigningKeyRequest(), ADMIN)
    assert len(jwks.keys) == 2
    # Published at once, signing only once verifiers can have fetched it.
    assert kid((await identity.login(mobile)).access_token) == kid(before.access_token)

    # Once the activation time has passed, logins are signed by the new key.
    async def signed_by_new_key() -> pb.TokenPair | None:
        pair = await identity.login(mobile)
        return pair if kid(pair.access_token) == jwks.keys[0].kid else None

    after = await wait_until(signed_by_new_key, timeout=identity.settings.signing_key_activation_seconds + 10)
    assert kid(after.access_token) != kid(before.access_token)
    await identity.verifier.verify(before.access_token)
    await identity.verifier.verify(after.access_token)
