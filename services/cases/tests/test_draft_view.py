"""CreateDraft answers with the new draft's view built without reading it back (issue 20): the
same view GetCase reads from the database, and a retried key still reads the stored one."""

from __future__ import annotations

from govhall.protos.cases.v1 import cases_pb2 as pb

from .conftest import World, person


async def test_the_new_drafts_view_is_the_one_getcase_reads(world: World) -> None:
    citizen = person()
    created = await world.draft(citizen, idempotency_key="draft-view-1")
    read = await world.call("GetCase", pb.GetCaseRequest(case_id=created.id), citizen)
    assert created.id and created.state == pb.CASE_STATE_DRAFT
    assert created.materials and created.form_json  # a view with the matter's needs, not a stub
    assert created == read
    again = await world.draft(citizen, idempotency_key="draft-view-1")
    assert again == read
