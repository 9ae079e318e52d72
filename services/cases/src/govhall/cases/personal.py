"""Personal numbers inside application forms.

A form schema marks a string field as a resident ID number or a mobile number with the keyword
``"x-govhall-kind": "id_number"`` or ``"mobile"`` (found through ``properties`` and ``items``).
Such a value is checked with the kit's validators (province, birth date and check digit; mobile
prefix) and normalised. It is kept encrypted under the cases data key, beside the form
(``Application.sealed``: its place in the form -> kind and ciphertext); the form itself holds
only the masked number, the way identity shows numbers (``4205**********0127``,
``138****0012``), so what the applicant and staff see, and every copy of the form, is masked.

A client that saves back the form it was shown sends the masked value: when it is the mask of
the number stored at that place (or, if items were reordered, of exactly one stored number of
that kind), the stored number stands.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from govhall.kit.errors import FieldError
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.validators import (
    ValidationError,
    mask_id_number,
    mask_mobile,
    parse_id_number,
    parse_mobile,
)

log = logging.getLogger(__name__)

KEYWORD: Final = "x-govhall-kind"
# kind -> (validator returning the normalised value, mask for display)
KINDS: Final[dict[str, tuple[Callable[..., str], Callable[[str], str]]]] = {
    "id_number": (parse_id_number, mask_id_number),
    "mobile": (parse_mobile, mask_mobile),
}
# "family_members/0/id_number" -> (kind, ciphertext, fingerprint): the fingerprint is a blind
# index (keyed HMAC) of the number, so that a change a mask hides can still be seen (comparable).
Sealed = dict[str, tuple[str, ...]]


def _marked(schema: Any, value: Any, path: list[Any]) -> Iterator[tuple[list[Any], str]]:
    if not isinstance(schema, dict):
        return
    kind = schema.get(KEYWORD)
    if kind in KINDS and isinstance(value, str):
        yield path, kind
    properties = schema.get("properties")
    if isinstance(properties, dict) and isinstance(value, dict):
        for key, item in value.items():
            yield from _marked(properties.get(key), item, [*path, key])
    items = schema.get("items")
    if isinstance(items, dict) and isinstance(value, list):
        for i, item in enumerate(value):
            yield from _marked(items, item, [*path, i])


def marked(schema: dict[str, Any], form: dict[str, Any]) -> list[tuple[list[Any], str]]:
    """The paths of the marked values present in ``form`` (already bounded in depth), with kinds."""
    return list(_marked(schema, form, []))


def _pointer(path: list[Any]) -> str:
    return "/".join(str(p) for p in path)


def _put(form: Any, path: list[Any], value: str) -> None:
    node = form
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _get(form: Any, path: list[Any]) -> Any:
    node = form
    for part in path:
        node = node[part]
    return node


def normalise(
    schema: dict[str, Any],
    form: dict[str, Any],
    known: Mapping[str, tuple[str, str]],
    name: Callable[[list[Any]], str],
) -> list[FieldError]:
    """Put the known number back for each masked value sent back, then check and normalise every
    marked value in place. ``known`` maps places to (kind, number in clear); ``name`` gives the
    Chinese title of a path. Returns a problem per bad value."""
    problems: list[FieldError] = []
    for path, kind in marked(schema, form):
        parse, mask = KINDS[kind]
        value = _get(form, path)
        same_place = known.get(_pointer(path))
        if same_place is not None and same_place[0] == kind and mask(same_place[1]) == value:
            value = same_place[1]
        else:
            elsewhere = {n for k, n in known.values() if k == kind and mask(n) == value}
            if len(elsewhere) == 1:
                value = elsewhere.pop()
        field = ".".join(["form", *(str(p) for p in path)])
        try:
            _put(form, path, parse(value, field=field))
        except ValidationError as err:
            problems.append(FieldError(field, err.message, f"{name(path)}：{err.message_zh}"))
    return problems


def seal(schema: dict[str, Any], form: dict[str, Any], cipher: FieldCipher) -> tuple[dict[str, Any], Sealed]:
    """The form with each marked number masked, and the numbers encrypted by place."""
    masked = copy.deepcopy(form)
    sealed: Sealed = {}
    for path, kind in marked(schema, form):
        number = _get(form, path)
        sealed[_pointer(path)] = (kind, cipher.encrypt(number, kind), cipher.blind_index(number, kind))
        _put(masked, path, KINDS[kind][1](number))
    return masked, sealed


def unseal(sealed: Mapping[str, tuple[str, ...]], cipher: FieldCipher) -> dict[str, tuple[str, str]]:
    """The stored numbers in clear, by place; one that no longer decrypts (the data key was
    replaced) is left out, so its masked value fails validation and is asked for again."""
    out: dict[str, tuple[str, str]] = {}
    for place, (kind, stored, *_) in sealed.items():
        try:
            out[place] = (kind, cipher.decrypt(stored, kind))
        except Exception:
            log.warning("a sealed form value (%s) no longer decrypts under the cases data key", kind)
    return out


def masked_json(schema: dict[str, Any], form_json: str) -> str:
    """The stored form for display with every marked number masked. Forms stored since numbers
    are sealed are masked already (masking is idempotent); this covers forms stored before."""
    try:
        form = json.loads(form_json)
    except ValueError:
        return form_json
    if not isinstance(form, dict):
        return form_json
    found = marked(schema, form)
    if not found:
        return form_json
    for path, kind in found:
        _put(form, path, KINDS[kind][1](_get(form, path)))
    return json.dumps(form, ensure_ascii=False, separators=(",", ":"))


def comparable(form_json: str, sealed: Mapping[str, tuple[str, ...]]) -> str:
    """The stored form as supplements compare it (what changed since a notice, what an edit
    touched): each sealed number as its mask and fingerprint, so that correcting digits the mask
    hides (a birth date) still counts as a change."""
    if not sealed:
        return form_json
    form = json.loads(form_json or "{}")
    for place, (_, _, *fingerprint) in sealed.items():
        node, parts = form, place.split("/")
        try:
            for part in parts[:-1]:
                node = node[int(part)] if isinstance(node, list) else node[part]
            last: Any = int(parts[-1]) if isinstance(node, list) else parts[-1]
            node[last] = f"{node[last]}#{fingerprint[0][:16]}" if fingerprint else node[last]
        except (KeyError, IndexError, ValueError, TypeError):
            continue  # the form no longer has that place
    return json.dumps(form, ensure_ascii=False, separators=(",", ":"))
