"""A booking's contact details at rest: the name and mobile encrypted under appointments' data key,
the mobile also as a blind index (found by mobile without decrypting), both shown masked.

One module, because every reader must use the contexts the writer used: a search by mobile that
hashes under another context silently finds nothing.
"""

from __future__ import annotations

from govhall.kit.fieldcipher import FieldCipher

NAME_CONTEXT, MOBILE_CONTEXT, MOBILE_INDEX = "booking_contact_name", "booking_contact_mobile", "mobile"


def seal_name(cipher: FieldCipher, name: str) -> str:
    return cipher.encrypt(name, NAME_CONTEXT)


def seal_mobile(cipher: FieldCipher, mobile: str) -> str:
    return cipher.encrypt(mobile, MOBILE_CONTEXT)


def open_name(cipher: FieldCipher, stored: str) -> str:
    return cipher.decrypt(stored, NAME_CONTEXT)


def mobile_hash(cipher: FieldCipher, mobile: str) -> str:
    """`bookings.contact_mobile_hash`: the same mobile always gives the same value."""
    return cipher.blind_index(mobile, MOBILE_INDEX)
