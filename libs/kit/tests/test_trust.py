"""Caller assertions: what a service believes, and what it refuses (govhall.kit.trust)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from govhall.kit import trust, trustkeys
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.trust import ASSERTION_KEY, SIGNATURE_KEY, CallerPolicy, Signer, Verifier
from govhall.protos.common.v1 import common_pb2 as C

PERSON = C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject="p-1", name="张三")
ADMIN = C.CallerIdentity(kind=C.CALLER_KIND_ADMIN, subject="ops:alice")
POLICY = CallerPolicy.from_mapping(
    {
        "_comment": "ignored",
        "gateway": {"kinds": ["anonymous", "person", "admin"]},
        "ops": {"kinds": ["admin"]},
        "search": {"kinds": ["service"], "methods": ["GetSite"]},
    }
)


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    trustkeys.init(tmp_path, ["gateway", "search", "cases", "ops"])
    return tmp_path


def signer(keys: Path, principal: str) -> Signer:
    return Signer(keys / f"{principal}.key", principal)


def verifier(keys: Path, audience: str = "catalogue") -> Verifier:
    return Verifier(audience, keys / "bundle.json", POLICY)


def refusal(err: pytest.ExceptionInfo[DomainError]) -> tuple[str, ErrorKind]:
    return err.value.code, err.value.kind


def refusals(service: str, reason: str) -> float:
    return (
        REGISTRY.get_sample_value("govhall_caller_refusals_total", {"service": service, "reason": reason})
        or 0.0
    )


def test_a_signed_caller_is_believed(keys: Path) -> None:
    md = signer(keys, "gateway").metadata("catalogue", PERSON)
    assert verifier(keys).verify(md, "GetMatter") == PERSON


def test_an_unsigned_caller_is_refused_and_counted(keys: Path) -> None:
    before = refusals("catalogue", "unsigned")
    with pytest.raises(DomainError) as err:
        verifier(keys).verify([("x-govhall-caller-bin", ADMIN.SerializeToString())], "WithdrawMatter")
    assert refusal(err) == ("CALLER_UNSIGNED", ErrorKind.UNAUTHENTICATED)
    assert refusals("catalogue", "unsigned") == before + 1


def test_an_assertion_signed_with_a_key_not_in_the_bundle_is_refused(
    keys: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("attacker")
    trustkeys.init(elsewhere, ["gateway"])  # the attacker's own "gateway" key
    md = signer(elsewhere, "gateway").metadata("catalogue", ADMIN)
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(md, "WithdrawMatter")
    assert refusal(err) == ("CALLER_INVALID", ErrorKind.UNAUTHENTICATED)


def test_a_changed_caller_under_a_real_signature_is_refused(keys: Path) -> None:
    body, signature = signer(keys, "gateway").sign("catalogue", PERSON)
    assertion = C.CallerAssertion.FromString(body)
    assertion.caller.kind = C.CALLER_KIND_ADMIN
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(
            [(ASSERTION_KEY, assertion.SerializeToString()), (SIGNATURE_KEY, signature)], "X"
        )
    assert refusal(err) == ("CALLER_INVALID", ErrorKind.UNAUTHENTICATED)


def test_a_changed_body_is_refused_even_after_the_real_one_was_verified(keys: Path) -> None:
    v = verifier(keys)
    body, signature = signer(keys, "gateway").sign("catalogue", PERSON)
    v.verify([(ASSERTION_KEY, body), (SIGNATURE_KEY, signature)], "GetMatter")
    forged = C.CallerAssertion.FromString(body)
    forged.caller.subject = "p-2"
    with pytest.raises(DomainError) as err:
        v.verify([(ASSERTION_KEY, forged.SerializeToString()), (SIGNATURE_KEY, signature)], "GetMatter")
    assert refusal(err) == ("CALLER_INVALID", ErrorKind.UNAUTHENTICATED)


def test_an_assertion_for_one_service_is_refused_by_another(keys: Path) -> None:
    md = signer(keys, "gateway").metadata("search", PERSON)
    assert verifier(keys, "search").verify(md, "Search") == PERSON
    with pytest.raises(DomainError) as err:
        verifier(keys, "cases").verify(md, "ListMyCases")
    assert refusal(err) == ("CALLER_MISADDRESSED", ErrorKind.UNAUTHENTICATED)


def test_an_assertion_replayed_after_its_lifetime_is_refused(keys: Path) -> None:
    long_ago = time.time() - trust.LIFETIME_SECONDS - trust.LEEWAY_SECONDS - 5
    body, signature = signer(keys, "gateway").sign("catalogue", PERSON, now=long_ago)
    md = [(ASSERTION_KEY, body), (SIGNATURE_KEY, signature)]
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(md, "GetMatter")
    assert refusal(err) == ("CALLER_EXPIRED", ErrorKind.UNAUTHENTICATED)


def test_a_verified_assertion_expires_in_the_cache_too(keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    v = verifier(keys)
    md = signer(keys, "gateway").metadata("catalogue", PERSON)
    v.verify(md, "GetMatter")
    later = time.time() + trust.LIFETIME_SECONDS + trust.LEEWAY_SECONDS + 1
    monkeypatch.setattr(trust, "_now", lambda: later)
    with pytest.raises(DomainError) as err:
        v.verify(md, "GetMatter")
    assert refusal(err) == ("CALLER_EXPIRED", ErrorKind.UNAUTHENTICATED)


def test_a_lifetime_longer_than_allowed_is_refused(keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trust, "LIFETIME_SECONDS", 24 * 3600)  # a stolen key minting day-long passes
    md = signer(keys, "gateway").metadata("catalogue", PERSON)
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(md, "GetMatter")
    assert refusal(err) == ("CALLER_INVALID", ErrorKind.UNAUTHENTICATED)


def test_garbage_is_refused_not_crashed_on(keys: Path) -> None:
    for md in (
        [(ASSERTION_KEY, b"\xff\x00garbage"), (SIGNATURE_KEY, b"x" * 64)],
        [(ASSERTION_KEY, b""), (SIGNATURE_KEY, b"")],
        [(ASSERTION_KEY, b"a" * 20000), (SIGNATURE_KEY, b"x")],
        [(ASSERTION_KEY, "text, not bytes"), (SIGNATURE_KEY, b"x")],
    ):
        with pytest.raises(DomainError) as err:
            verifier(keys).verify(md, "GetMatter")  # type: ignore[arg-type]
        assert err.value.kind == ErrorKind.UNAUTHENTICATED


def test_a_service_may_speak_only_as_itself_and_only_to_its_methods(keys: Path) -> None:
    search = signer(keys, "search")
    itself = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="search")
    assert verifier(keys).verify(search.metadata("catalogue", itself), "GetSite") == itself
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(search.metadata("catalogue", itself), "WithdrawMatter")
    assert refusal(err) == ("CALLER_NOT_PERMITTED", ErrorKind.FORBIDDEN)
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(search.metadata("catalogue", ADMIN), "GetSite")
    assert refusal(err) == ("CALLER_NOT_PERMITTED", ErrorKind.FORBIDDEN)
    posing = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases")
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(search.metadata("catalogue", posing), "GetSite")
    assert refusal(err) == ("CALLER_INVALID", ErrorKind.UNAUTHENTICATED)


def test_a_principal_the_service_does_not_list_is_not_permitted(keys: Path) -> None:
    cases = signer(keys, "cases")
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(
            cases.metadata("catalogue", C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases")),
            "GetSite",
        )
    assert refusal(err) == ("CALLER_NOT_PERMITTED", ErrorKind.FORBIDDEN)


def test_the_gateway_cannot_pose_as_a_service(keys: Path) -> None:
    md = signer(keys, "gateway").metadata(
        "catalogue", C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="gateway")
    )
    with pytest.raises(DomainError) as err:
        verifier(keys).verify(md, "GetSite")
    assert refusal(err) == ("CALLER_NOT_PERMITTED", ErrorKind.FORBIDDEN)


def test_a_key_file_of_another_principal_is_refused_at_start(keys: Path) -> None:
    with pytest.raises(trustkeys.TrustFileError):
        Signer(keys / "search.key", "gateway")


def test_a_missing_key_file_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(trustkeys.TrustFileError, match=r"govhall\.kit\.trust init"):
        Signer(tmp_path / "gateway.key", "gateway")


def test_init_keeps_existing_keys_and_key_files_are_private(keys: Path) -> None:
    before = (keys / "gateway.key").read_text()
    assert trustkeys.init(keys, ["gateway", "identity"]) == ["identity"]
    assert (keys / "gateway.key").read_text() == before
    assert os.stat(keys / "gateway.key").st_mode & 0o077 == 0
    bundle = json.loads((keys / "bundle.json").read_text())
    assert set(bundle["principals"]) == {"gateway", "search", "cases", "ops", "identity"}
    assert "private" not in (keys / "bundle.json").read_text()


def test_rotation_keeps_every_call_verified(keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The new key is published at once but signs only once it is ACTIVATION_DELAY old: verifiers
    that reload the bundle within that time never see a key they do not know."""
    monkeypatch.setattr(trust, "RELOAD_SECONDS", 0.0)
    clock = [time.time() + 3 * trustkeys.ACTIVATION_DELAY]  # the first key is well settled
    monkeypatch.setattr(trust, "_now", lambda: clock[0])
    v, s = verifier(keys), signer(keys, "gateway")
    old_kid = C.CallerAssertion.FromString(s.sign("catalogue", PERSON, clock[0])[0]).key_id
    fresh = trustkeys.rotate(keys, "gateway", now=clock[0])
    _touch_later(keys / "gateway.key")
    body, sig = s.sign("catalogue", PERSON, clock[0])
    assert C.CallerAssertion.FromString(body).key_id == old_kid, "a new key must not sign at once"
    assert v.verify([(ASSERTION_KEY, body), (SIGNATURE_KEY, sig)], "GetMatter") == PERSON
    clock[0] += trustkeys.ACTIVATION_DELAY + 1
    body, sig = s.sign("catalogue", PERSON, clock[0])
    assert C.CallerAssertion.FromString(body).key_id == fresh.kid
    assert v.verify([(ASSERTION_KEY, body), (SIGNATURE_KEY, sig)], "GetMatter") == PERSON
    # A second rotation drops the key before the one signing now, never the one signing.
    trustkeys.rotate(keys, "gateway", now=clock[0])
    kids = [k.kid for k in trustkeys.read_key_file(keys / "gateway.key")[1]]
    assert old_kid not in kids and fresh.kid in kids


def test_a_verifier_loads_a_key_published_after_it_started(keys: Path) -> None:
    v = verifier(keys)
    trustkeys.init(keys, ["ops"])
    (keys / "ops.key").unlink()
    trustkeys.init(keys, ["ops"])  # ops gets a key the verifier has never seen
    _touch_later(keys / "bundle.json")
    md = signer(keys, "ops").metadata("catalogue", ADMIN)
    assert v.verify(md, "WithdrawMatter") == ADMIN


def test_an_admin_call_is_audited(keys: Path, caplog: pytest.LogCaptureFixture) -> None:
    before = (
        REGISTRY.get_sample_value("govhall_admin_calls_total", {"service": "catalogue", "issuer": "ops"}) or 0
    )
    with caplog.at_level("INFO", logger="govhall.audit"):
        verifier(keys).verify(signer(keys, "ops").metadata("catalogue", ADMIN), "WithdrawMatter")
    assert any("catalogue/WithdrawMatter by ops:alice" in r.getMessage() for r in caplog.records)
    after = REGISTRY.get_sample_value("govhall_admin_calls_total", {"service": "catalogue", "issuer": "ops"})
    assert after == before + 1


def test_the_command_line_makes_and_rotates_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert trust.main(["init", str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"bundle.json", "gateway.key", "ops.key", "cases.key"}
    assert trust.main(["rotate", str(tmp_path), "cases"]) == 0
    assert len(trustkeys.read_key_file(tmp_path / "cases.key")[1]) == 2
    assert len(trustkeys.read_bundle(tmp_path / "bundle.json")["cases"]) == 2
    assert trust.main(["rotate", str(tmp_path / "nowhere"), "cases"]) == 1
    assert "govhall.kit.trust init" in capsys.readouterr().err


def _touch_later(path: Path) -> None:
    """Make a rewrite visible to the mtime check even on file systems with coarse timestamps."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))
