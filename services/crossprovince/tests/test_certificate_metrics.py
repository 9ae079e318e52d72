"""A started province reports when its partners' CAs and its own certificates run out."""

from __future__ import annotations

from prometheus_client import REGISTRY

from .world import JL, LN, World


def expiry(province: str, role: str) -> float | None:
    return REGISTRY.get_sample_value(
        "govhall_crossprovince_certificate_expiry_timestamp_seconds", {"province": province, "role": role}
    )


async def test_certificate_expiry_is_exported_per_province_and_role(world: World) -> None:
    for code in (LN, JL):
        kit = world.kits[code]
        assert expiry(code, "server") == kit.server.cert.not_valid_after_utc.timestamp()
        assert expiry(code, "client") == kit.client.cert.not_valid_after_utc.timestamp()
        # Each province's CA as its partner (the other started province) read it from its file.
        assert expiry(code, "partner_ca") == kit.ca.cert.not_valid_after_utc.timestamp()
