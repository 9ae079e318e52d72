"""Staff accounts scoped to a site, and delivery addresses on the site tree."""

from __future__ import annotations

import asyncio
from typing import Any

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import ADMIN, SERVICE, Identity, new_mobile, site_message

STAFF_PASSWORD = "Staff-pass-2026"


def staff_request(
    username: str, site: str, roles: list[str], department: str = "XZSP"
) -> pb.CreateStaffRequest:
    return pb.CreateStaffRequest(
        username=username,
        name="刘审批",
        mobile=new_mobile(),
        password=STAFF_PASSWORD,
        site_code=site,
        department_code=f"{site}-{department}",
        roles=roles,
    )


async def staff_login(identity: Identity, username: str) -> str:
    pair = await identity.call(
        "Login", pb.LoginRequest(staff=pb.StaffLogin(username=username, password=STAFF_PASSWORD))
    )
    return str(pair.access_token)


async def test_site_admins_create_staff_at_their_site_and_below(identity: Identity) -> None:
    city_admin = await identity.call(
        "CreateStaff", staff_request("yc_admin", "420500", ["site_admin"]), ADMIN
    )
    assert city_admin.roles == ["site_admin"] and city_admin.site_code == "420500"
    token = await staff_login(identity, "yc_admin")
    caller = await identity.verifier.verify(token)
    assert caller.kind == common_pb2.CALLER_KIND_STAFF and list(caller.roles) == ["site_admin"]
    assert caller.site_code == "420500" and caller.department_code == "420500-XZSP"

    clerk = await identity.call(
        "CreateStaff", staff_request("xl_clerk", "420502", ["window_clerk", "reviewer"]), token
    )
    assert clerk.roles == ["reviewer", "window_clerk"] and clerk.mobile_masked.count("*") == 4
    # Not a sibling city, not the province above.
    await identity.fails(
        "FORBIDDEN",
        identity.call("CreateStaff", staff_request("wh_clerk", "420102", ["window_clerk"]), token),
    )
    await identity.fails(
        "FORBIDDEN",
        identity.call("CreateStaff", staff_request("hb_clerk", "420000", ["window_clerk"]), token),
    )
    # A clerk manages nobody.
    clerk_token = await staff_login(identity, "xl_clerk")
    await identity.fails(
        "FORBIDDEN",
        identity.call("CreateStaff", staff_request("xl_two", "420502", ["reviewer"]), clerk_token),
    )
    # Nor does a citizen.
    mobile, _ = await identity.register()
    citizen = (await identity.login(mobile)).access_token
    await identity.fails(
        "FORBIDDEN", identity.call("CreateStaff", staff_request("xl_three", "420502", ["reviewer"]), citizen)
    )

    listed = await identity.call("ListStaff", pb.ListStaffRequest(site_code="420502"), token)
    assert [s.username for s in listed.staff] == ["xl_clerk"]
    await identity.fails(
        "FORBIDDEN", identity.call("ListStaff", pb.ListStaffRequest(site_code="420102"), token)
    )


async def test_staff_input_is_checked(identity: Identity) -> None:
    await identity.fails(
        "ROLE_INVALID", identity.call("CreateStaff", staff_request("s_one", "420502", ["boss"]), ADMIN)
    )
    await identity.fails(
        "ROLE_INVALID", identity.call("CreateStaff", staff_request("s_one", "420502", []), ADMIN)
    )
    await identity.fails(
        "SITE_NOT_FOUND", identity.call("CreateStaff", staff_request("s_one", "429999", ["reviewer"]), ADMIN)
    )
    await identity.call("CreateStaff", staff_request("s_one", "420502", ["reviewer"]), ADMIN)
    await identity.fails(
        "USERNAME_TAKEN", identity.call("CreateStaff", staff_request("s_one", "420502", ["reviewer"]), ADMIN)
    )
    weak = staff_request("s_two", "420502", ["reviewer"])
    weak.password = "password"
    await identity.fails("PASSWORD_WEAK", identity.call("CreateStaff", weak, ADMIN))
    # Staff and citizens log in separately: a staff password is no citizen login.
    await identity.fails("LOGIN_FAILED", identity.login("s_one", STAFF_PASSWORD))


def address(
    county: str = "420502", default: bool = False, detail: str = "夷陵大道52号"
) -> pb.SaveAddressRequest:
    return pb.SaveAddressRequest(
        recipient="张三",
        mobile="13800138000",
        county_code=county,
        detail=detail,
        postal_code="443000",
        is_default=default,
    )


async def test_addresses_add_edit_default_delete(identity: Identity) -> None:
    mobile, _ = await identity.register()
    token = (await identity.login(mobile)).access_token
    first = await identity.call("SaveAddress", address(), token)
    assert first.is_default  # the first address is the default
    assert (first.province_name, first.city_name, first.county_name) == ("湖北省", "宜昌市", "西陵区")
    assert first.mobile == "138****8000"
    second = await identity.call(
        "SaveAddress", address("420102", default=True, detail="沿江大道188号"), token
    )
    listed = (await identity.call("ListAddresses", pb.ListAddressesRequest(), token)).addresses
    assert [(a.id, a.is_default) for a in listed] == [(second.id, True), (first.id, False)]
    assert listed[0].city_name == "武汉市"

    edit = address(detail="东山大道1号")
    edit.id = first.id
    edited = await identity.call("SaveAddress", edit, token)
    assert edited.detail == "东山大道1号" and not edited.is_default

    await identity.call("DeleteAddress", pb.DeleteAddressRequest(id=second.id), token)
    remaining = (await identity.call("ListAddresses", pb.ListAddressesRequest(), token)).addresses
    assert [(a.id, a.is_default) for a in remaining] == [(first.id, True)]

    # The cases service, mailing a result, sees the whole number.
    owner = (await identity.verifier.verify(token)).subject
    full = (await identity.call("ListAddresses", pb.ListAddressesRequest(owner_id=owner), SERVICE)).addresses
    assert full[0].mobile == "13800138000"


async def test_addresses_are_checked_and_private(identity: Identity) -> None:
    mobile, _ = await identity.register()
    token = (await identity.login(mobile)).access_token
    await identity.fails("COUNTY_INVALID", identity.call("SaveAddress", address("420500"), token))  # a city
    await identity.fails("COUNTY_INVALID", identity.call("SaveAddress", address("999999"), token))
    bad_mobile = address()
    bad_mobile.mobile = "1380013800"
    await identity.fails("MOBILE_BAD_FORMAT", identity.call("SaveAddress", bad_mobile, token))
    await identity.fails("FIELD_INVALID", identity.call("SaveAddress", address(detail="  "), token))
    mine = await identity.call("SaveAddress", address(), token)

    other_mobile, _ = await identity.register()
    other = (await identity.login(other_mobile)).access_token
    stolen = address(detail="改成我的")
    stolen.id = mine.id
    await identity.fails("ADDRESS_NOT_FOUND", identity.call("SaveAddress", stolen, other))
    await identity.fails(
        "ADDRESS_NOT_FOUND", identity.call("DeleteAddress", pb.DeleteAddressRequest(id=mine.id), other)
    )
    assert list((await identity.call("ListAddresses", pb.ListAddressesRequest(), other)).addresses) == []
    assert (await identity.call("ListAddresses", pb.ListAddressesRequest(), token)).addresses[
        0
    ].detail == "夷陵大道52号"
    await identity.fails("UNAUTHENTICATED", identity.call("ListAddresses", pb.ListAddressesRequest()))


async def test_the_cli_creates_staff_through_the_same_rules(
    identity: Identity, monkeypatch: Any, capsys: Any
) -> None:
    from govhall.identity import cli

    monkeypatch.setenv("GOVHALL_STAFF_PASSWORD", STAFF_PASSWORD)
    monkeypatch.setenv("GOVHALL_IDENTITY_DATABASE_URL", identity.settings.database_url or "")
    monkeypatch.setenv("GOVHALL_IDENTITY_KV_NAMESPACE", identity.settings.kv_namespace)
    monkeypatch.setenv("GOVHALL_VAR_DIR", str(identity.host.platform.var_dir))
    argv = ["create-staff", "--username", "cli_admin", "--name", "赵管理", "--mobile", new_mobile()]
    argv += ["--site", "420500", "--department", "420500-ZWB", "--roles", "site_admin"]
    assert await asyncio.to_thread(cli.main, argv) == 0
    assert "created staff cli_admin" in capsys.readouterr().out
    token = await staff_login(identity, "cli_admin")
    assert (await identity.verifier.verify(token)).site_code == "420500"
    argv[argv.index("--roles") + 1] = "emperor"
    argv[argv.index("--username") + 1] = "cli_other"
    assert await asyncio.to_thread(cli.main, argv) == 1
    assert "ROLE_INVALID" in capsys.readouterr().err


async def test_demo_staff_load_once_and_log_in(identity: Identity) -> None:
    from govhall.identity.demo import DEMO_PASSWORD, DEMO_STAFF, load_demo_staff

    assert await load_demo_staff(identity.host.address) == len(DEMO_STAFF)
    assert await load_demo_staff(identity.host.address) == 0
    pair = await identity.call(
        "Login", pb.LoginRequest(staff=pb.StaffLogin(username="xl_clerk", password=DEMO_PASSWORD))
    )
    caller = await identity.verifier.verify(pair.access_token)
    assert caller.site_code == "420502" and list(caller.roles) == ["window_clerk"]


async def test_a_site_the_copy_missed_is_asked_of_the_catalogue(identity: Identity) -> None:
    """Staff are often created right after their site: identity's copy of the site tree may not
    have the site from the catalogue's event yet (or may have missed it), so it asks the catalogue."""
    identity.catalogue.sites["420503"] = site_message(
        "420503", "伍家岗区", cat.SITE_LEVEL_COUNTY, ["420000", "420500", "420503"]
    )
    staff = await identity.call("CreateStaff", staff_request("wjg_clerk", "420503", ["window_clerk"]), ADMIN)
    assert staff.site_code == "420503" and identity.catalogue.asked == ["420503"]
    # The answer is kept: the next use of the site does not ask again.
    await identity.call("CreateStaff", staff_request("wjg_two", "420503", ["reviewer"]), ADMIN)
    mobile, _ = await identity.register()
    token = (await identity.login(mobile)).access_token
    saved = await identity.call("SaveAddress", address("420503"), token)
    assert (saved.province_name, saved.city_name, saved.county_name) == ("湖北省", "宜昌市", "伍家岗区")
    assert identity.catalogue.asked == ["420503"]
    # A site the catalogue does not know either is still not found (and never kept).
    for _ in range(2):
        await identity.fails(
            "SITE_NOT_FOUND",
            identity.call("CreateStaff", staff_request("nowhere", "420599", ["window_clerk"]), ADMIN),
        )
    await identity.fails("COUNTY_INVALID", identity.call("SaveAddress", address("420599"), token))
    assert identity.catalogue.asked == ["420503", "420599", "420599", "420599"]


async def test_a_catalogue_out_of_reach_is_no_not_found(identity: Identity) -> None:
    """Unknown and unreachable are different answers: the caller may try again later."""
    identity.catalogue.sites["420506"] = site_message(
        "420506", "夷陵区", cat.SITE_LEVEL_COUNTY, ["420000", "420500", "420506"]
    )
    identity.catalogue.unavailable = True
    await identity.fails(
        "UPSTREAM_UNAVAILABLE",
        identity.call("CreateStaff", staff_request("yl_clerk", "420506", ["window_clerk"]), ADMIN),
    )
    # Sites the copy has need no catalogue.
    await identity.call("CreateStaff", staff_request("xl_clerk2", "420502", ["window_clerk"]), ADMIN)
