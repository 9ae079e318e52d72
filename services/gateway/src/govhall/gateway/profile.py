"""The signed-in account (我的): real-name verification and the level, password, mobile and
login name; delivery addresses."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Response

from govhall.gateway import identity_model as m
from govhall.gateway.auth import SignedIn
from govhall.gateway.upstreams import Upstreams
from govhall.protos.identity.v1 import identity_pb2 as pb


def profile_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    # The account -------------------------------------------------------------------------

    @router.get("/api/v1/me", tags=["me"], summary="My account (numbers masked)", operation_id="getMe")
    async def me(caller: SignedIn) -> m.AccountOut:
        return m.account_out(await up().identity.call(lambda s: s.GetMe, pb.GetMeRequest(), caller))

    @router.post(
        "/api/v1/me/real-name",
        tags=["me"],
        summary="Real-name verification (实名认证)",
        operation_id="verifyRealName",
    )
    async def real_name(body: m.RealNameIn, caller: SignedIn) -> m.AccountOut:
        request = pb.VerifyRealNameRequest(name=body.name, id_number=body.id_number)
        return m.account_out(await up().identity.call(lambda s: s.VerifyRealName, request, caller))

    @router.post(
        "/api/v1/me/level",
        tags=["me"],
        summary="Raise to the high level by face or CA",
        operation_id="raiseLevel",
    )
    async def raise_level(body: m.LevelIn, caller: SignedIn) -> m.AccountOut:
        request = pb.RaiseLevelRequest(
            method=m.STRONG_METHODS[body.method],  # type: ignore[arg-type]
            evidence=m.b64(body.evidence_b64, "evidence_b64"),
        )
        return m.account_out(await up().identity.call(lambda s: s.RaiseLevel, request, caller))

    @router.post(
        "/api/v1/me/password",
        tags=["me"],
        status_code=204,
        summary="Change password (every session ends)",
        operation_id="changePassword",
    )
    async def change_password(body: m.PasswordChangeIn, caller: SignedIn) -> Response:
        request = pb.ChangePasswordRequest(
            old_password=body.old_password, new_password=body.new_password, sms_code=body.sms_code
        )
        await up().identity.call(lambda s: s.ChangePassword, request, caller)
        return Response(status_code=204)

    @router.post(
        "/api/v1/me/mobile",
        tags=["me"],
        summary="Change the bound mobile number",
        operation_id="changeMobile",
    )
    async def change_mobile(body: m.MobileChangeIn, caller: SignedIn) -> m.AccountOut:
        request = pb.ChangeMobileRequest(
            password=body.password,
            old_mobile_code=body.old_mobile_code,
            new_mobile=body.new_mobile,
            new_mobile_code=body.new_mobile_code,
        )
        return m.account_out(await up().identity.call(lambda s: s.ChangeMobile, request, caller))

    @router.put(
        "/api/v1/me/username",
        tags=["me"],
        summary="Set or change my login name (不区分大小写)",
        operation_id="setUsername",
    )
    async def set_username(body: m.UsernameIn, caller: SignedIn) -> m.AccountOut:
        return m.account_out(
            await up().identity.call(
                lambda s: s.SetUsername, pb.SetUsernameRequest(username=body.username), caller
            )
        )

    @router.get(
        "/api/v1/me/addresses",
        tags=["me"],
        summary="My delivery addresses (快递地址)",
        operation_id="listAddresses",
    )
    async def list_addresses(caller: SignedIn) -> list[m.AddressOut]:
        reply = await up().identity.call(lambda s: s.ListAddresses, pb.ListAddressesRequest(), caller)
        return [m.address_out(a) for a in reply.addresses]

    def _address(body: m.AddressIn, address_id: str = "") -> pb.SaveAddressRequest:
        return pb.SaveAddressRequest(id=address_id, **body.model_dump())

    @router.post(
        "/api/v1/me/addresses",
        tags=["me"],
        status_code=201,
        summary="Add an address",
        operation_id="addAddress",
    )
    async def add_address(body: m.AddressIn, caller: SignedIn) -> m.AddressOut:
        return m.address_out(await up().identity.call(lambda s: s.SaveAddress, _address(body), caller))

    @router.put(
        "/api/v1/me/addresses/{address_id}",
        tags=["me"],
        summary="Edit an address",
        operation_id="editAddress",
    )
    async def edit_address(address_id: m.IdPath, body: m.AddressIn, caller: SignedIn) -> m.AddressOut:
        return m.address_out(
            await up().identity.call(lambda s: s.SaveAddress, _address(body, address_id), caller)
        )

    @router.delete(
        "/api/v1/me/addresses/{address_id}",
        tags=["me"],
        status_code=204,
        summary="Delete an address",
        operation_id="deleteAddress",
    )
    async def delete_address(address_id: m.IdPath, caller: SignedIn) -> Response:
        await up().identity.call(lambda s: s.DeleteAddress, pb.DeleteAddressRequest(id=address_id), caller)
        return Response(status_code=204)

    return router
