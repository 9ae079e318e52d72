"""What every identity use case shares: its collaborators, how secrets are read and shown,
and the errors more than one use case raises."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from govhall.identity.adapters import Adapters
from govhall.identity.crypto import FieldCipher, Passwords
from govhall.identity.model import AccountRow
from govhall.identity.settings import IdentitySettings
from govhall.identity.signing import Signer
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.kv import KeyValueStore
from govhall.kit.tokens import RevocationList
from govhall.kit.validators import mask_id_number, mask_mobile
from govhall.protos.identity.v1 import identity_pb2 as pb

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Contexts of the field cipher and blind index: one per kind of secret.
MOBILE, ID_NUMBER, ADDRESS_MOBILE = "mobile", "id_number", "address_mobile"


@dataclass
class Deps:
    db: Database
    settings: IdentitySettings
    cipher: FieldCipher
    passwords: Passwords
    signer: Signer
    kv: KeyValueStore
    adapters: Adapters
    revocations: RevocationList

    def idx(self, value: str, context: str) -> str:
        return self.cipher.blind_index(value, context)

    def mobile_of(self, account: AccountRow) -> str:
        assert account.mobile_enc is not None
        return self.cipher.decrypt(account.mobile_enc, MOBILE)

    def account_view(self, account: AccountRow) -> pb.Account:
        view = pb.Account(
            id=account.id,
            kind=account.kind,  # type: ignore[arg-type]
            username=account.username or account.credit_code or "",
            name=account.name,
            real_name_level=account.level,  # type: ignore[arg-type]
            created_at=ts(account.created_at),
            site_code=account.site_code or "",
            department_code=account.department_code or "",
            roles=account.roles,
        )
        if account.mobile_enc:
            view.mobile_masked = mask_mobile(self.mobile_of(account))
        if account.id_number_enc:
            view.id_number_masked = mask_id_number(self.cipher.decrypt(account.id_number_enc, ID_NUMBER))
        return view


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def unauthenticated(code: str, message: str, message_zh: str) -> DomainError:
    return DomainError(code, message, message_zh, ErrorKind.UNAUTHENTICATED)


def mobile_taken() -> DomainError:
    return DomainError(
        "MOBILE_TAKEN", "this mobile number is already registered", "该手机号已注册", ErrorKind.CONFLICT
    )


def code_used() -> DomainError:
    return invalid(
        "SMS_CODE_USED", "this code has been used; request a new one", "验证码已使用，请重新获取", "sms_code"
    )


LOGIN_FAILED = unauthenticated("LOGIN_FAILED", "wrong account or password", "账号或密码错误")
SESSION_ENDED = unauthenticated(
    "SESSION_ENDED", "this login has ended; sign in again", "登录已失效，请重新登录"
)
