"""Field encryption under a service's data key: round trips, separation, the key file."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from govhall.kit.fieldcipher import FieldCipher, load_data_key

KEY = bytes(range(32))


def test_round_trip_bound_to_the_field() -> None:
    cipher = FieldCipher(KEY, "cases")
    stored = cipher.encrypt("420502199003070127", "id_number")
    assert stored.startswith("v1.") and "420502" not in stored
    assert stored != cipher.encrypt("420502199003070127", "id_number")  # a fresh nonce each time
    assert cipher.decrypt(stored, "id_number") == "420502199003070127"
    with pytest.raises(InvalidTag):
        cipher.decrypt(stored, "mobile")


def test_identity_keeps_reading_what_it_stored_before_the_move() -> None:
    # What identity's own FieldCipher derived: HKDF-SHA256, info "govhall-identity/fields".
    old_key = HKDF(algorithm=SHA256(), length=32, salt=None, info=b"govhall-identity/fields").derive(KEY)
    nonce = bytes(12)
    old = (
        "v1."
        + base64.urlsafe_b64encode(nonce + AESGCM(old_key).encrypt(nonce, b"13812340012", b"mobile")).decode()
    )
    assert FieldCipher(KEY).decrypt(old, "mobile") == "13812340012"


def test_services_do_not_read_each_others_fields() -> None:
    stored = FieldCipher(KEY, "identity").encrypt("13812340012", "mobile")
    with pytest.raises(InvalidTag):
        FieldCipher(KEY, "cases").decrypt(stored, "mobile")
    assert FieldCipher(KEY, "cases").blind_index("x", "c") != FieldCipher(KEY, "identity").blind_index(
        "x", "c"
    )


def test_the_key_is_configured_or_generated_once(tmp_path: Path) -> None:
    assert load_data_key(base64.b64encode(KEY).decode(), tmp_path, "cases") == KEY
    with pytest.raises(ValueError, match="GOVHALL_CASES_DATA_KEY"):
        load_data_key(base64.b64encode(b"short").decode(), tmp_path, "cases")
    generated = load_data_key("", tmp_path, "cases")
    assert len(generated) == 32 and load_data_key("", tmp_path, "cases") == generated
    assert (tmp_path / "cases-data.key").stat().st_mode & 0o777 == 0o600
    assert load_data_key("", tmp_path) != generated  # identity's own file
    with pytest.raises(ValueError):
        FieldCipher(b"short", "cases")
