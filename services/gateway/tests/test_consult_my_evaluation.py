"""GET /api/v1/cases/{id}/evaluation: the applicant who rated reads back the evaluation and what
became of its rectification, without staff identities; anybody else (staff included) gets 404."""

from __future__ import annotations

from .conftest import Stack
from .test_cases_routes import seed, staff
from .test_consult_evaluations import concluded, rate
from .test_identity_routes import assert_problem, bearer, person


async def test_the_rater_reads_back_the_evaluation_and_the_rectification(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812360131", "钱回看"))["access_token"])
    someone = bearer((await person(stack, "13812360132", "孙旁人"))["access_token"])
    case = await concluded(c, me, 31)
    path = f"/api/v1/cases/{case['id']}/evaluation"
    assert_problem(await c.get(path, headers=me), 404, "EVALUATION_NOT_FOUND")  # not rated yet

    r = await rate(c, case["id"], me, {"level": 4, "text": "材料退了两次", "channel": "pc"})
    assert r.status_code == 201, r.text
    r = await c.get(path, headers=me)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["evaluation"]["level"], got["evaluation"]["level_name"], got["evaluation"]["text"]) == (
        4,
        "不满意",
        "材料退了两次",
    )
    assert got["evaluation"]["case_number"] == case["case_number"]
    assert got["rectification"]["state"] == "open" and got["rectification"]["due"]

    reviewer = await staff(c, "my_ev_reviewer", "reviewer")
    base = f"/api/v1/staff/evaluations/rectifications/{got['evaluation']['rectification_id']}"
    r = await c.post(f"{base}/rectify", json={"content": "已简化材料清单"}, headers=reviewer)
    assert r.status_code == 200, r.text
    later = (await c.get(path, headers=me)).json()
    assert (later["rectification"]["state"], later["rectification"]["rectification"]) == (
        "rectified",
        "已简化材料清单",
    )
    assert "my_ev_reviewer" not in str(later) and "刘办理" not in str(later)  # no staff identity

    for who in (someone, reviewer):
        assert_problem(await c.get(path, headers=who), 404, "EVALUATION_NOT_FOUND")
    assert_problem(await c.get(path), 401, "UNAUTHENTICATED")
