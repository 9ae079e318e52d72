"""REST routes for unified identity (统一身份认证): sign-up, login, the account, enterprises
and their agents, staff. Each maps onto one identity RPC; identity decides who may do what.

This module holds signing up and in and the session (SMS codes, register, login, refresh,
logout, password reset) and puts the identity routers together; the account and its addresses
are in profile.py, enterprises, agents and staff in enterprises.py, the shapes in identity_model.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from govhall.gateway import identity_model as m
from govhall.gateway.auth import Caller, SignedIn
from govhall.gateway.enterprises import enterprise_routes
from govhall.gateway.profile import profile_routes
from govhall.gateway.upstreams import Upstreams
from govhall.protos.identity.v1 import identity_pb2 as pb


def identity_routes(up: Callable[[], Upstreams]) -> APIRouter:
    """The identity routes, each one call to identity (`Upstream.call`)."""
    router = APIRouter()

    # Sign-up and login -------------------------------------------------------------------

    @router.post(
        "/api/v1/auth/sms-codes",
        tags=["auth"],
        summary="Send an SMS code (短信验证码)",
        operation_id="sendSmsCode",
    )
    async def send_sms_code(body: m.SmsCodeIn, request: Request, caller: Caller) -> m.SmsCodeOut:
        reply = await up().identity.call(
            lambda s: s.SendSmsCode,
            pb.SendSmsCodeRequest(
                mobile=body.mobile, purpose=m.SMS_PURPOSES[body.purpose], client_ip=m.client_ip(request)
            ),  # type: ignore[arg-type]
            caller,
        )
        return m.SmsCodeOut(
            expires_in_seconds=reply.expires_in_seconds,
            resend_after_seconds=reply.resend_after_seconds,
            mobile_masked=reply.mobile_masked,
        )

    @router.post(
        "/api/v1/auth/register",
        tags=["auth"],
        status_code=201,
        summary="Register a natural person (个人注册)",
        operation_id="register",
    )
    async def register(body: m.RegisterIn, request: Request) -> m.AccountOut:
        return m.account_out(
            await up().identity.call(
                lambda s: s.RegisterPerson,
                pb.RegisterPersonRequest(
                    mobile=body.mobile,
                    sms_code=body.sms_code,
                    password=body.password,
                    username=body.username,
                    client_ip=m.client_ip(request),
                ),
                None,
            )
        )

    @router.post(
        "/api/v1/auth/login",
        tags=["auth"],
        summary="Log in (登录)",
        operation_id="login",
        responses={401: {"description": "Wrong account, password, SMS code or certificate (LOGIN_FAILED)"}},
    )
    async def login(
        body: m.LoginIn, request: Request, user_agent: Annotated[str, Header()] = ""
    ) -> m.TokensOut:
        message = pb.LoginRequest(client_ip=m.client_ip(request), user_agent=user_agent[:200])
        if isinstance(body, m.PasswordLoginIn):
            message.password.CopyFrom(pb.PasswordLogin(login_name=body.login_name, password=body.password))
        elif isinstance(body, m.SmsLoginIn):
            message.sms.CopyFrom(pb.SmsLogin(mobile=body.mobile, sms_code=body.sms_code))
        elif isinstance(body, m.LegalPersonLoginIn):
            message.legal_person.CopyFrom(
                pb.LegalPersonLogin(credit_code=body.credit_code, password=body.password)
            )
        elif isinstance(body, m.StaffLoginIn):
            message.staff.CopyFrom(pb.StaffLogin(username=body.username, password=body.password))
        else:
            message.certificate.CopyFrom(
                pb.CertificateLogin(
                    credit_code=body.credit_code,
                    certificate=m.b64(body.certificate_b64, "certificate_b64"),
                    challenge=m.b64(body.challenge_b64, "challenge_b64"),
                    signature=m.b64(body.signature_b64, "signature_b64"),
                )
            )
        return m.tokens_out(await up().identity.call(lambda s: s.Login, message, None))

    @router.post(
        "/api/v1/auth/refresh",
        tags=["auth"],
        summary="Swap a refresh token for new tokens",
        operation_id="refresh",
        responses={401: {"description": "The refresh token is unknown, used or ended (SESSION_ENDED)"}},
    )
    async def refresh(body: m.RefreshIn) -> m.TokensOut:
        return m.tokens_out(
            await up().identity.call(
                lambda s: s.Refresh, pb.RefreshRequest(refresh_token=body.refresh_token), None
            )
        )

    @router.post(
        "/api/v1/auth/logout",
        tags=["auth"],
        status_code=204,
        summary="Log out (退出登录)",
        operation_id="logout",
    )
    async def logout(caller: SignedIn, body: m.LogoutIn | None = None) -> Response:
        await up().identity.call(
            lambda s: s.Logout, pb.LogoutRequest(refresh_token=body.refresh_token if body else ""), caller
        )
        return Response(status_code=204)

    @router.post(
        "/api/v1/auth/password-reset",
        tags=["auth"],
        status_code=204,
        summary="Forgot password: reset by SMS",
        operation_id="resetPassword",
    )
    async def reset_password(body: m.PasswordResetIn, request: Request) -> Response:
        await up().identity.call(
            lambda s: s.ResetPassword,
            pb.ResetPasswordRequest(
                mobile=body.mobile,
                sms_code=body.sms_code,
                new_password=body.new_password,
                client_ip=m.client_ip(request),
            ),
            None,
        )
        return Response(status_code=204)

    router.include_router(profile_routes(up))
    router.include_router(enterprise_routes(up))
    return router
