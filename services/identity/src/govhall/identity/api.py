"""Identity's gRPC servicer: each RPC hands its request to the module that owns it.

Every use case re-checks authorisation from the caller identity (access.py), commits once,
and raises DomainError for the gRPC layer to map; nothing here decides anything.
"""

from __future__ import annotations

from typing import Any

from govhall.identity import (
    addresses,
    agents,
    holders,
    legal_persons,
    notify,
    persons,
    sessions,
    smscodes,
    staff,
)
from govhall.identity.adapters import Adapters
from govhall.identity.crypto import FieldCipher, Passwords
from govhall.identity.deps import Deps
from govhall.identity.settings import IdentitySettings
from govhall.identity.signing import Signer
from govhall.kit.db import Database
from govhall.kit.kv import KeyValueStore
from govhall.kit.tokens import RevocationList
from govhall.protos.identity.v1 import identity_pb2 as pb
from govhall.protos.identity.v1 import identity_pb2_grpc


class IdentityService(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(
        self,
        db: Database,
        settings: IdentitySettings,
        cipher: FieldCipher,
        passwords: Passwords,
        signer: Signer,
        kv: KeyValueStore,
        adapters: Adapters,
    ) -> None:
        revocations = RevocationList(kv, settings.access_token_seconds + 60)
        self._deps = Deps(db, settings, cipher, passwords, signer, kv, adapters, revocations)

    # SMS codes ----------------------------------------------------------------------------

    async def SendSmsCode(self, request: pb.SendSmsCodeRequest, context: Any) -> pb.SendSmsCodeResponse:
        return await smscodes.send(self._deps, request)

    async def CheckSmsCode(self, request: pb.CheckSmsCodeRequest, context: Any) -> pb.CheckSmsCodeResponse:
        return await smscodes.check_for_service(self._deps, request)

    # Natural persons ----------------------------------------------------------------------

    async def RegisterPerson(self, request: pb.RegisterPersonRequest, context: Any) -> pb.Account:
        return await persons.register(self._deps, request)

    async def VerifyRealName(self, request: pb.VerifyRealNameRequest, context: Any) -> pb.Account:
        return await persons.verify_real_name(self._deps, request)

    async def RaiseLevel(self, request: pb.RaiseLevelRequest, context: Any) -> pb.Account:
        return await persons.raise_level(self._deps, request)

    async def GetMe(self, request: pb.GetMeRequest, context: Any) -> pb.Account:
        return await persons.get_me(self._deps)

    async def ChangePassword(self, request: pb.ChangePasswordRequest, context: Any) -> pb.Account:
        return await persons.change_password(self._deps, request)

    async def ResetPassword(self, request: pb.ResetPasswordRequest, context: Any) -> pb.Account:
        return await persons.reset_password(self._deps, request)

    async def ChangeMobile(self, request: pb.ChangeMobileRequest, context: Any) -> pb.Account:
        return await persons.change_mobile(self._deps, request)

    async def SetUsername(self, request: pb.SetUsernameRequest, context: Any) -> pb.Account:
        return await persons.set_username(self._deps, request)

    # Sessions -----------------------------------------------------------------------------

    async def Login(self, request: pb.LoginRequest, context: Any) -> pb.TokenPair:
        return await sessions.login(self._deps, request)

    async def Refresh(self, request: pb.RefreshRequest, context: Any) -> pb.TokenPair:
        return await sessions.refresh(self._deps, request)

    async def Logout(self, request: pb.LogoutRequest, context: Any) -> pb.LogoutResponse:
        return await sessions.logout(self._deps, request)

    async def GetJwks(self, request: pb.GetJwksRequest, context: Any) -> pb.Jwks:
        return await self._deps.signer.jwks()

    async def RotateSigningKey(self, request: pb.RotateSigningKeyRequest, context: Any) -> pb.Jwks:
        return await sessions.rotate_signing_key(self._deps)

    # Addresses ----------------------------------------------------------------------------

    async def ListAddresses(self, request: pb.ListAddressesRequest, context: Any) -> pb.ListAddressesResponse:
        return await addresses.list_addresses(self._deps, request)

    async def SaveAddress(self, request: pb.SaveAddressRequest, context: Any) -> pb.Address:
        return await addresses.save(self._deps, request)

    async def DeleteAddress(self, request: pb.DeleteAddressRequest, context: Any) -> pb.DeleteAddressResponse:
        return await addresses.delete(self._deps, request)

    # Legal persons and agents -------------------------------------------------------------

    async def RegisterLegalPerson(
        self, request: pb.RegisterLegalPersonRequest, context: Any
    ) -> pb.LegalPerson:
        return await legal_persons.register(self._deps, request)

    async def GetLegalPerson(self, request: pb.GetLegalPersonRequest, context: Any) -> pb.LegalPerson:
        return await legal_persons.get(self._deps, request)

    async def ListMyLegalPersons(
        self, request: pb.ListMyLegalPersonsRequest, context: Any
    ) -> pb.ListMyLegalPersonsResponse:
        return await legal_persons.list_mine(self._deps)

    async def AuthoriseAgent(self, request: pb.AuthoriseAgentRequest, context: Any) -> pb.AgentAuthorisation:
        return await agents.authorise(self._deps, request)

    async def RevokeAgent(self, request: pb.RevokeAgentRequest, context: Any) -> pb.AgentAuthorisation:
        return await agents.revoke(self._deps, request)

    async def ListAgents(self, request: pb.ListAgentsRequest, context: Any) -> pb.ListAgentsResponse:
        return await agents.list_agents(self._deps, request)

    async def ActAs(self, request: pb.ActAsRequest, context: Any) -> pb.TokenPair:
        return await agents.act_as(self._deps, request)

    async def CheckAgent(self, request: pb.CheckAgentRequest, context: Any) -> pb.CheckAgentResponse:
        return await agents.check(self._deps, request)

    # Staff --------------------------------------------------------------------------------

    async def CreateStaff(self, request: pb.CreateStaffRequest, context: Any) -> pb.Staff:
        return await staff.create(self._deps, request)

    async def ListStaff(self, request: pb.ListStaffRequest, context: Any) -> pb.ListStaffResponse:
        return await staff.list_staff(self._deps, request)

    async def UnlockStaff(self, request: pb.UnlockStaffRequest, context: Any) -> pb.Staff:
        return await staff.unlock(self._deps, request)

    # Notifications ------------------------------------------------------------------------

    async def GetNotifyMobile(
        self, request: pb.GetNotifyMobileRequest, context: Any
    ) -> pb.GetNotifyMobileResponse:
        return await notify.notify_mobile(self._deps, request)

    # Licence holders ----------------------------------------------------------------------

    async def GetHolderIdentity(
        self, request: pb.GetHolderIdentityRequest, context: Any
    ) -> pb.HolderIdentity:
        return await holders.holder_identity(self._deps, request)
