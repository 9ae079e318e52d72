"""The partners and offered-matters files, and the development CA the CLI writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govhall.crossprovince import devca
from govhall.crossprovince.cli import main
from govhall.crossprovince.partners import ConfigError, load_offered, load_partners


def test_the_devca_cli_writes_each_sides_material_and_partners(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "dev"
    code = main(["devca", "--out", str(out), "--province", "210000", "--province", "220000",
                 "--endpoint", "220000=jl.example:50069"])  # fmt: skip
    assert code == 0 and "210000" in capsys.readouterr().out
    ln = load_partners(out / "210000" / "partners.json", "210000")
    jl = load_partners(out / "220000" / "partners.json", "220000")
    assert set(ln.by_code) == {"220000"} and set(jl.by_code) == {"210000"}
    assert ln.by_code["220000"].endpoint == "jl.example:50069"
    assert jl.by_code["210000"].endpoint == "127.0.0.1:50059"
    # 辽宁's client certificate is issued by the CA 吉林 holds for 辽宁, its signing key is the one listed.
    from cryptography import x509

    client = x509.load_pem_x509_certificate((out / "210000" / "client.pem").read_bytes())
    client.verify_directly_issued_by(jl.by_code["210000"].ca)
    key = devca.load_signing_key(out / "210000" / "signing.key")
    assert devca.public_key_b64(key) in json.dumps(json.loads((out / "220000" / "partners.json").read_text()))
    env = (out / "210000" / "env").read_text()
    assert (
        "GOVHALL_CROSSPROVINCE_PROVINCE_CODE=210000" in env
        and "GOVHALL_CROSSPROVINCE_PARTNER_PORT=50059" in env
    )
    assert oct((out / "210000" / "signing.key").stat().st_mode & 0o777) == "0o600"


def test_the_cli_needs_two_provinces(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        main(["devca", "--out", str(tmp_path), "--province", "210000"])
    assert "two or more" in capsys.readouterr().err


def _partners(tmp_path: Path, entry: dict[str, object]) -> Path:
    kit = devca.province_kit("220000")
    (tmp_path / "ca.pem").write_bytes(kit.ca.cert_pem)
    base = kit.partner_entry("127.0.0.1:1", "ca.pem", ["东三省通办"])
    path = tmp_path / "partners.json"
    path.write_text(json.dumps({"partners": [{**base, **entry}]}), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"code": "22"}, "code must be a 6-digit province code"),
        ({"code": "210000"}, "is this province itself"),
        ({"ca_file": "missing.pem"}, "is not a PEM certificate"),
        ({"signing_keys": {}}, "signing_keys needs at least one"),
        ({"signing_keys": {"k": "bm90IGEga2V5"}}, "not the base64 of a 32-byte Ed25519 public key"),
        ({"revoked_serials": ["xyz"]}, "is not hexadecimal"),
        ({"endpoint": ""}, "endpoint is required"),
    ],
)
def test_a_wrong_partners_file_stops_the_start_naming_the_entry(
    tmp_path: Path, entry: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        load_partners(_partners(tmp_path, entry), "210000")


def test_offered_matters_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "offered.json"
    path.write_text(json.dumps({"matters": [{"matter_code": "M1", "site_code": "4205"}]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="site_code must be a 6-digit"):
        load_offered(path)
    path.write_text(
        json.dumps({"matters": [{"matter_code": "M1", "site_code": "420502"}] * 2}), encoding="utf-8"
    )
    with pytest.raises(ConfigError, match="listed twice"):
        load_offered(path)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot be read as JSON"):
        load_offered(path)
