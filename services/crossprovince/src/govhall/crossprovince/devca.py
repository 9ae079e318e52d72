"""Development certificates and keys for partner provinces: a CA per province, its server and
client certificates (CN = the province code), its Ed25519 signing key, and each side's partners
file naming the others. `python -m govhall.crossprovince devca` writes them; the tests make their
test CA with the same functions. Never for production: a province's real CA issues its own.
"""

from __future__ import annotations

import base64
import ipaddress
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = timedelta(days=1)


@dataclass
class Issued:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def _name(cn: str, org: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, cn), x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)]
    )


def make_ca(province: str, *, days: int = 3650) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    name = _name(f"govhall development CA {province}", f"govhall {province}")
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - DAY)
        .not_valid_after(now + days * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return Issued(key, cert)


def issue(
    ca: Issued,
    province: str,
    *,
    server: bool,
    hosts: tuple[str, ...] = ("localhost", "127.0.0.1"),
    not_before: datetime | None = None,
    not_after: datetime | None = None,
) -> Issued:
    """A certificate for ``province`` (its CN), issued by ``ca``: a server certificate for
    ``hosts`` or a client certificate. The validity may be set (an expired one, in tests)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(province, f"govhall {province}"))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - DAY)
        .not_valid_after(not_after or now + 825 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
    )
    if server:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return Issued(key, builder.sign(ca.key, hashes.SHA256()))


def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def signing_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} is not an Ed25519 private key")
    return key


@dataclass
class ProvinceKit:
    """One province's development material, in memory (tests) and on disk (the CLI)."""

    code: str
    ca: Issued
    server: Issued
    client: Issued
    signing: Ed25519PrivateKey

    @property
    def key_id(self) -> str:
        return f"{self.code}-dev-1"

    def partner_entry(self, endpoint: str, ca_file: str, groups: list[str], revoked: list[int] = []) -> dict:  # noqa: B006
        return {
            "code": self.code,
            "name": f"province {self.code}",
            "endpoint": endpoint,
            "ca_file": ca_file,
            "signing_keys": {self.key_id: public_key_b64(self.signing)},
            "groups": groups,
            "revoked_serials": [format(s, "x") for s in revoked],
        }


def province_kit(code: str, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")) -> ProvinceKit:
    ca = make_ca(code)
    return ProvinceKit(
        code, ca, issue(ca, code, server=True, hosts=hosts), issue(ca, code, server=False), signing_key()
    )


def write_kit(kit: ProvinceKit, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    files = {
        "ca.pem": kit.ca.cert_pem,
        "ca.key": kit.ca.key_pem,
        "server.pem": kit.server.cert_pem,
        "server.key": kit.server.key_pem,
        "client.pem": kit.client.cert_pem,
        "client.key": kit.client.key_pem,
        "signing.key": signing_key_pem(kit.signing),
    }
    for name, data in files.items():
        path = directory / name
        path.write_bytes(data)
        if name.endswith(".key"):
            path.chmod(0o600)


def write_all(
    out: Path, codes: list[str], endpoints: dict[str, str], group: str = "东三省通办"
) -> dict[str, ProvinceKit]:
    """A directory per province under ``out`` with its material, partners.json naming every other
    province (their CA beside it, by relative path), an empty offered-matters.json (kept when
    there is one) and env with the GOVHALL_CROSSPROVINCE_* settings that use them."""
    kits = {code: province_kit(code) for code in codes}
    for code, kit in kits.items():
        directory = out / code
        write_kit(kit, directory)
        others = [
            other.partner_entry(endpoints[other.code], f"../{other.code}/ca.pem", [group])
            for other in kits.values()
            if other.code != code
        ]
        (directory / "partners.json").write_text(
            json.dumps({"partners": others}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        offered = directory / "offered-matters.json"
        if not offered.exists():
            offered.write_text('{"matters": []}\n', encoding="utf-8")
        port = endpoints[code].rsplit(":", 1)[1]
        env = {
            "PROVINCE_CODE": code,
            "PARTNER_PORT": port,
            "TLS_CERT_FILE": directory / "server.pem",
            "TLS_KEY_FILE": directory / "server.key",
            "CLIENT_CERT_FILE": directory / "client.pem",
            "CLIENT_KEY_FILE": directory / "client.key",
            "SIGNING_KEY_FILE": directory / "signing.key",
            "SIGNING_KEY_ID": kit.key_id,
            "PARTNERS_FILE": directory / "partners.json",
            "OFFERED_MATTERS_FILE": offered,
        }
        (directory / "env").write_text(
            "".join(f"GOVHALL_CROSSPROVINCE_{k}={v}\n" for k, v in env.items()), encoding="utf-8"
        )
    return kits
