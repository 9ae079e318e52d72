"""补正 rules without I/O: which form changes a notice allows, when an item counts as changed,
and notices written before items were checked."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest

from govhall.cases import supplements, views
from govhall.cases.values import SupplementItem, SupplementNotice
from govhall.kit.errors import DomainError

T0 = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC)
FORM = {"shop_name": "老张面馆", "agent": {"name": "李四", "mobile": "13912345678"}}


def notice(*items: SupplementItem, form: dict[str, object] = FORM) -> SupplementNotice:
    return SupplementNotice(
        items, dt.date(2026, 11, 30), T0, "intake", supplements.baseline(items, json.dumps(form))
    )


def upload(code: str, minutes: int) -> SimpleNamespace:
    return SimpleNamespace(material_code=code, uploaded_at=T0 + dt.timedelta(minutes=minutes))


def test_only_named_fields_and_what_is_inside_them_may_change() -> None:
    open_notice = notice(SupplementItem("", "姓名有误", "agent.name", "代办人姓名"))
    changed = {**FORM, "agent": {"name": "李小四", "mobile": "13912345678"}}
    supplements.check_form_edit(open_notice, json.dumps(FORM), json.dumps(changed))
    for bad in (
        {**FORM, "shop_name": "别的名字"},
        {**FORM, "agent": {"name": "李小四", "mobile": "13800000000"}},
        {**FORM, "agent": None},
    ):
        with pytest.raises(DomainError) as info:
            supplements.check_form_edit(open_notice, json.dumps(FORM), json.dumps(bad))
        assert info.value.code == "CASE_FIELD_NOT_IN_SUPPLEMENT"
    whole = notice(SupplementItem("", "代办人信息有误", "agent", "代办人信息"))
    supplements.check_form_edit(whole, json.dumps(FORM), json.dumps({**FORM, "agent": {"name": "王五"}}))


def test_an_item_is_changed_by_a_later_file_or_another_value() -> None:
    open_notice = notice(
        SupplementItem("M01", "未签字", "", "申请书"), SupplementItem("", "有误", "shop_name", "经营者名称")
    )
    same = views.supplement_changes(open_notice, json.dumps(FORM), [upload("M01", -5)])
    assert same == {"M01": False, "shop_name": False}
    with pytest.raises(DomainError) as info:
        supplements.check_done(open_notice, json.dumps(FORM), [upload("M01", -5)])
    assert [f.field for f in info.value.fields] == ["materials.M01", "form.shop_name"]
    done = views.supplement_changes(
        open_notice, json.dumps({**FORM, "shop_name": "新名"}), [upload("M01", 5)]
    )
    assert done == {"M01": True, "shop_name": True}


def test_a_notice_from_before_items_were_checked_still_lets_the_applicant_through() -> None:
    legacy = SupplementNotice(
        (SupplementItem("营业执照复印件", "未盖章"),), dt.date(2026, 11, 30), T0, "intake"
    )
    supplements.check_material_named(legacy, "M02")  # free text names no code: any upload goes
    assert views.supplement_changes(legacy, "{}", []) == {"营业执照复印件": False}
    assert views.supplement_changes(legacy, "{}", [upload("M02", 1)]) == {"营业执照复印件": True}
    checked = notice(SupplementItem("M01", "未签字", "", "申请书"))
    with pytest.raises(DomainError) as info:
        supplements.check_material_named(checked, "M02")
    assert info.value.code == "CASE_MATERIAL_NOT_IN_SUPPLEMENT"
