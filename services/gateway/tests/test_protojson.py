"""The one mapping between gRPC messages and REST JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from govhall.gateway.protojson import enum_name, enum_names, enum_number, from_dict, to_dict
from govhall.kit.errors import DomainError
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.search.v1 import search_pb2


def test_enums_are_short_lowercase_names_and_unspecified_is_null() -> None:
    form = cat.MaterialForm.DESCRIPTOR
    assert enum_name(form, cat.MATERIAL_FORM_ORIGINAL_AND_COPY) == "original_and_copy"
    assert enum_name(form, 0) is None and enum_name(form, 99) is None
    assert enum_number(form, "electronic", "form") == cat.MATERIAL_FORM_ELECTRONIC
    assert enum_number(form, None, "form") == 0
    # A nested enum's prefix is its own name, not its parent's.
    phase = search_pb2.ReindexProgress.Phase.DESCRIPTOR
    assert enum_names(phase) == ["started", "indexing", "swapped", "done"]
    with pytest.raises(DomainError) as raised:
        enum_number(form, "unspecified", "materials[0].form")
    assert raised.value.code == "VALUE_INVALID" and raised.value.fields[0].field == "materials[0].form"
    # What was sent is not repeated back (the values allowed are).
    with pytest.raises(DomainError) as raised:
        enum_number(form, "<script>x</script>", "materials[0].form")
    said = raised.value.message + raised.value.message_zh + raised.value.fields[0].message_zh
    assert "script" not in said and "electronic" in raised.value.message


def test_a_guide_round_trips_with_nested_lists_money_and_times() -> None:
    draft = cat.MatterDraft(
        name="食品经营许可",
        type=cat.MATTER_TYPE_LICENSING,
        audiences=[cat.AUDIENCE_LEGAL_PERSON],
        materials=[cat.Material(code="M01", name="申请书", form=cat.MATERIAL_FORM_ORIGINAL, copies=1)],
        situations=[
            cat.Situation(
                code="S1", question="是否委托？", options=[cat.SituationOption(code="S1A", label="是")]
            )
        ],
        fees=cat.FeeSchedule(
            charged=True, items=[cat.FeeItem(name="工本费", amount={"currency": "CNY", "amount_fen": 2000})]
        ),
    )
    data = to_dict(draft)
    assert data["type"] == "licensing" and data["audiences"] == ["legal_person"]
    assert data["materials"][0]["form"] == "original" and data["materials"][0]["necessity"] is None
    assert data["fees"]["items"][0]["amount"] == {"currency": "CNY", "amount_fen": 2000}
    assert data["handling_type"] is None and data["steps"] == []
    back = from_dict(data, cat.MatterDraft)
    assert to_dict(back) == data and back.fees.items[0].amount.amount_fen == 2000

    article = cat.Article(id="a1", title="公告")
    assert to_dict(article)["publish_at"] is None
    article.publish_at.FromDatetime(datetime(2026, 10, 1, 1, 0, tzinfo=UTC))
    shown = to_dict(article)["publish_at"]
    assert shown == "2026-10-01T09:00:00+08:00"
    assert from_dict({"publish_at": shown}, cat.Article).publish_at == article.publish_at
