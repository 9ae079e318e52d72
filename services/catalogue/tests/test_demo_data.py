"""The demo province is consistent, every guide passes the catalogue's own validation, and it loads twice."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from jsonschema import Draft202012Validator

from govhall.catalogue import app, demo, taxonomy
from govhall.catalogue.formpdf import form_pdf
from govhall.catalogue.model import DEPARTMENT_CODE, MATTER_CODE, check_article, validate_draft
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.testing import signed_channel
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

CJK = re.compile(r"[\u4e00-\u9fff]")
SITES = {site.code: site for site in demo.SITES}
DRAFTS = {matter.code: matter.draft() for matter in demo.MATTERS}
ROLES = {"window_clerk", "reviewer", "approver"}


def test_site_codes_and_parents() -> None:
    assert len(SITES) == len(demo.SITES)
    for site in demo.SITES:
        assert re.fullmatch(r"\d{6}", site.code), site.code
        assert CJK.search(site.name)
        if site.level == pb.SITE_LEVEL_PROVINCE:
            assert site.parent_code == ""
            assert site.code.endswith("0000")
        elif site.level == pb.SITE_LEVEL_CITY:
            assert site.code.endswith("00") and not site.code.endswith("0000")
            assert site.parent_code == site.code[:2] + "0000"
            assert SITES[site.parent_code].level == pb.SITE_LEVEL_PROVINCE
        else:
            assert site.level == pb.SITE_LEVEL_COUNTY
            assert not site.code.endswith("00")
            assert site.parent_code == site.code[:4] + "00"
            assert SITES[site.parent_code].level == pb.SITE_LEVEL_CITY
    assert SITES["420502"].parent_code == "420500"
    assert SITES["420500"].parent_code == "420000"


def test_departments_are_unique_and_belong_to_sites() -> None:
    codes = [dept.code for dept in demo.DEPARTMENTS]
    assert len(codes) == len(set(codes))
    for dept in demo.DEPARTMENTS:
        assert DEPARTMENT_CODE.match(dept.code), dept.code
        assert dept.site_code in SITES
        assert dept.code.startswith(dept.site_code + "-")
        assert CJK.search(dept.name)
    per_site = Counter(dept.site_code for dept in demo.DEPARTMENTS)
    assert set(per_site) == set(SITES)


def test_matters_codes_sites_and_departments() -> None:
    assert len(demo.MATTERS) >= 36
    codes = [matter.code for matter in demo.MATTERS]
    assert len(codes) == len(set(codes))
    departments = {dept.code: dept for dept in demo.DEPARTMENTS}
    for matter in demo.MATTERS:
        assert MATTER_CODE.match(matter.code), matter.code
        assert matter.site_code in SITES
        assert departments[matter.department_code].site_code == matter.site_code
        assert CJK.search(matter.name), matter.name
    # Every kind is offered somewhere.
    assert {matter.kind_key for matter in demo.MATTERS} == set(demo.KINDS)


def test_every_site_has_matters_and_counties_have_most() -> None:
    per_site = Counter(matter.site_code for matter in demo.MATTERS)
    for code in SITES:
        assert per_site[code] >= 2, code
    by_level: Counter[int] = Counter()
    for code, count in per_site.items():
        by_level[SITES[code].level] += count
    assert by_level[pb.SITE_LEVEL_COUNTY] > by_level[pb.SITE_LEVEL_CITY] > by_level[pb.SITE_LEVEL_PROVINCE]


def test_variety() -> None:
    drafts = list(DRAFTS.values())
    assert len({d.type for d in drafts}) >= 5
    audiences = {tuple(d.audiences) for d in drafts}
    assert (pb.AUDIENCE_PERSON,) in audiences
    assert (pb.AUDIENCE_LEGAL_PERSON,) in audiences
    assert (pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON) in audiences
    assert {d.online_application for d in drafts} == {True, False}
    assert {d.handling_type for d in drafts} == {pb.HANDLING_TYPE_INSTANT, pb.HANDLING_TYPE_PROMISED}
    assert {d.online_depth for d in drafts} == {1, 2, 3, 4}
    assert {d.visits for d in drafts} == {0, 1}
    assert {d.appointment for d in drafts} == {True, False}
    assert {d.express_delivery for d in drafts} == {True, False}
    names = {d.name for d in drafts}
    for expected in ("食品经营许可", "居民身份证换领", "居民身份证补领", "出生登记", "失业保险金申领"):
        assert expected in names


def test_requests_pass_validation() -> None:
    requests = demo.matter_requests()
    assert len(requests) == len(demo.MATTERS)
    for request in requests:
        clean = validate_draft(request.draft)
        assert clean.name == request.draft.name
        assert request.site_code in SITES
        # The demo is already in the normal form the catalogue stores: nothing to trim or fill in.
        assert clean == request.draft, request.code


def test_every_kind_is_a_full_guide() -> None:
    base_codes = [kind.base_code for kind in demo.KINDS.values()]
    assert len(base_codes) == len(set(base_codes))
    for key, kind in demo.KINDS.items():
        assert re.fullmatch(r"\d{12}", kind.base_code), key
        assert kind.base_code.startswith(f"{kind.type:02d}"), key
        assert kind.result and CJK.search(kind.result), key
        assert kind.themes, key
        assert "《" in kind.legal_basis and kind.conditions and kind.process, key
        assert kind.promised <= kind.legal or kind.legal == 0, key
        # 即办件 are decided on the spot; 承诺件 have a promised limit the steps fit into.
        assert (kind.handling_type == pb.HANDLING_TYPE_INSTANT) == (kind.promised == 0), key
        steps = kind.steps
        assert steps and {s.role for s in steps} <= ROLES, key
        assert steps[0].role == "window_clerk", key
        if kind.handling_type == pb.HANDLING_TYPE_PROMISED:
            assert steps[-1].role == "approver", key
        if kind.unit == demo.WORKING_DAY:
            assert sum(s.days for s in steps) <= kind.promised, key
        assert len({s.code for s in steps}) == len(steps), key
        # Online depth and visits agree with the online application flag.
        assert 1 <= kind.depth <= 4 and 0 <= kind.visits <= 2, key
        assert kind.online == (kind.depth >= 3), key
        if kind.depth == 4:
            assert kind.visits == 0, key
        else:
            assert kind.visits >= 1, key
        assert kind.places, key


def test_materials_are_numbered_and_licences_are_consistent() -> None:
    licence_names = {code: name for name, code in demo.LICENCE_TYPES.items()}
    assert len(licence_names) == len(demo.LICENCE_TYPES)
    for code in demo.LICENCE_TYPES.values():
        assert re.fullmatch(r"11100000000013338W\d{3}", code)
    used: set[str] = set()
    for key, kind in demo.KINDS.items():
        codes = [m.code for m in kind.materials]
        assert codes == [f"M{i:02d}" for i in range(1, len(codes) + 1)], key
        assert any(m.necessity == pb.MATERIAL_NECESSITY_REQUIRED for m in kind.materials), key
        for m in kind.materials:
            assert CJK.search(m.name), (key, m.code)
            if m.form == pb.MATERIAL_FORM_ELECTRONIC:
                assert m.copies == 0, (key, m.code)
            else:
                assert m.copies >= 1, (key, m.code)
            if m.source == pb.MATERIAL_SOURCE_LICENCE:
                assert m.licence_type_code in licence_names, (key, m.code)
                used.add(m.licence_type_code)
                assert m.form == pb.MATERIAL_FORM_ELECTRONIC
            else:
                assert not m.licence_type_code, (key, m.code)
            if m.template_file:
                assert m.template_file.startswith(demo.TEMPLATE_ROOT + "/") and m.sample_file
    # Every licence type in the catalogue is reused somewhere, and the common ones widely.
    assert used == set(licence_names)
    by_licence = Counter(
        m.licence_type_code for kind in demo.KINDS.values() for m in kind.materials if m.licence_type_code
    )
    assert by_licence[demo.LICENCE_TYPES["居民身份证"]] >= 10
    assert by_licence[demo.LICENCE_TYPES["营业执照"]] >= 8


def test_conditional_materials_are_selected_by_a_situation_or_explained() -> None:
    for key, kind in demo.KINDS.items():
        materials = {m.code: m for m in kind.materials}
        selected = {code for s in kind.situations for option in s.options for code in option.material_codes}
        assert selected <= set(materials), key
        for code in selected:
            assert materials[code].necessity == pb.MATERIAL_NECESSITY_CONDITIONAL, (key, code)
        for m in kind.materials:
            if m.necessity == pb.MATERIAL_NECESSITY_CONDITIONAL:
                assert m.code in selected or m.condition, (key, m.code)
        codes = [s.code for s in kind.situations] + [o.code for s in kind.situations for o in s.options]
        assert len(codes) == len(set(codes)), key
        for s in kind.situations:
            assert len(s.options) >= 2 and CJK.search(s.question), (key, s.code)


def _titles(schema: dict[str, Any], path: str) -> None:
    for name, sub in schema.get("properties", {}).items():
        assert CJK.search(sub.get("title", "")), f"{path}{name}"
        _titles(sub, f"{path}{name}.")
    if isinstance(schema.get("items"), dict):
        _titles(schema["items"], f"{path}[].")


def test_forms_are_json_schemas_with_the_sections_situations_show() -> None:
    with_situations = [kind for kind in demo.KINDS.values() if kind.situations]
    assert len(with_situations) >= 4
    for key, kind in demo.KINDS.items():
        sections = {s for sit in kind.situations for option in sit.options for s in option.form_sections}
        if not kind.form:
            assert not sections, key
            continue
        schema = json.loads(kind.form)
        Draft202012Validator.check_schema(schema)
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["type"] == "object" and CJK.search(schema["title"]), key
        _titles(schema, "")
        assert sections <= set(schema["properties"]), key
        # A section a situation shows is not required of everyone.
        assert not sections & set(schema.get("required", ())), key
        assert set(schema.get("required", ())) <= set(schema["properties"]), key
    assert sum(1 for kind in with_situations if kind.form) >= 4


def test_a_filled_in_form_validates() -> None:
    schema = json.loads(demo.KINDS["birth"].form)
    filled = {
        "baby": {
            "name": "张小明",
            "gender": "男",
            "birth_date": "2026-10-01",
            "birth_place": "湖北省武汉市江岸区",
            "ethnicity": "汉族",
            "birth_certificate_number": "Q420123456",
        },
        "settle_with": "随父",
        "household_address": "湖北省武汉市江岸区胜利街1号",
        "joint_services": ["社会保障卡申领"],
    }
    Draft202012Validator(schema).validate(filled)
    with pytest.raises(Exception, match="随便"):
        Draft202012Validator(schema).validate({**filled, "settle_with": "随便"})


def test_taxonomy_terms_come_from_the_catalogue_lists() -> None:
    for key, kind in demo.KINDS.items():
        for vocabulary, values in (
            (taxonomy.THEMES, kind.themes),
            (taxonomy.LIFE_EVENTS, kind.life_events),
            (taxonomy.SUB_AUDIENCES, kind.sub_audiences),
        ):
            assert set(values) <= taxonomy.allowed(vocabulary, kind.audiences), (key, vocabulary, values)
    events = {e for kind in demo.KINDS.values() for e in kind.life_events}
    assert {"出生", "就业", "婚育", "置业", "退休", "设立", "经营", "投资"} <= events


def test_fees_most_are_free_some_are_charged_in_fen_with_a_basis() -> None:
    charged = [key for key, kind in demo.KINDS.items() if kind.fees]
    assert 2 <= len(charged) < len(demo.KINDS) // 4
    for code, draft in DRAFTS.items():
        assert draft.fees.charged == bool(draft.fees.items), code
        for item in draft.fees.items:
            assert item.amount.currency == "CNY" and item.amount.amount_fen > 0, code
            assert item.amount.amount_fen % 100 == 0 and "《" in item.basis, code
    renew = demo.KINDS["id_renew"].fees
    assert [item.amount.amount_fen for item in renew] == [2000, 4000]


def test_places_and_phones_come_from_the_site_and_department() -> None:
    for code, draft in DRAFTS.items():
        matter = demo.MATTERS_BY_CODE[code]
        dept = demo.DEPARTMENTS_BY_CODE[matter.department_code]
        assert draft.places, code
        for place in draft.places:
            assert place.name and place.hours and place.phone == dept.phone, code
        if matter.kind.places[0] == demo.HALL:
            first = draft.places[0]
            assert first.name == SITES[matter.site_code].hall and first.window == dept.window
        assert dept.phone in draft.guide.consult_phone and draft.guide.complaint_phone, code
        if draft.online_application:
            assert draft.guide.notice.startswith("1. "), code


def test_articles() -> None:
    ids = [article.id for article in demo.ARTICLES]
    assert len(ids) == len(set(ids))
    assert all(uuid.UUID(i).version == 5 for i in ids)
    assert len({article.key for article in demo.ARTICLES}) == len(demo.ARTICLES)
    announcements = [a for a in demo.ARTICLES if a.kind == pb.ARTICLE_KIND_ANNOUNCEMENT]
    faqs = [a for a in demo.ARTICLES if a.kind == pb.ARTICLE_KIND_FAQ]
    assert len(announcements) >= 6 and len({a.site_code for a in announcements}) >= 3
    assert len(faqs) >= 10 and sum(1 for a in faqs if a.matter_code) >= 5
    now = datetime.now(UTC)
    future = [a for a in demo.ARTICLES if (a.publish_time(now) or now) > now]
    assert len(future) == 1 and future[0].kind == pb.ARTICLE_KIND_ANNOUNCEMENT
    for article in demo.ARTICLES:
        assert article.site_code in SITES
        assert CJK.search(article.title) and CJK.search(article.body)
        if article.department_code:
            assert demo.DEPARTMENTS_BY_CODE[article.department_code].site_code == article.site_code
        if article.matter_code:
            assert demo.MATTERS_BY_CODE[article.matter_code].site_code == article.site_code
        when = article.publish_time(now)
        request = article.save_request(now)
        check_article(request)  # the catalogue's own rules for ids, titles and bodies
        assert request.id == article.id and request.HasField("publish_at") == (when is not None)
        if when is not None:
            assert request.publish_at.ToDatetime(tzinfo=UTC) == when


# --- the loader, against an in-memory stand-in for the service ---------------------------------


def _error(code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=code.name)


class FakeCatalogue:
    def __init__(self) -> None:
        self.sites: dict[str, pb.UpsertSiteRequest] = {}
        self.departments: dict[str, pb.UpsertDepartmentRequest] = {}
        self.matters: dict[str, int] = {}
        self.articles: dict[str, pb.Article] = {}
        self.files: dict[str, pb.UploadMaterialFileRequest] = {}
        self.saves = 0
        self.calls: list[tuple[str, object, float | None]] = []

    def _record(self, name: str, metadata: object, timeout: float | None) -> None:
        self.calls.append((name, metadata, timeout))

    async def UpsertSite(self, request, metadata=None, timeout=None):
        self._record("UpsertSite", metadata, timeout)
        if request.parent_code:
            assert request.parent_code in self.sites, "parents must come first"
        self.sites[request.code] = request
        return pb.Site(code=request.code)

    async def UpsertDepartment(self, request, metadata=None, timeout=None):
        self._record("UpsertDepartment", metadata, timeout)
        assert request.site_code in self.sites
        self.departments[request.code] = request
        return pb.Department(code=request.code)

    async def UploadMaterialFile(self, request, metadata=None, timeout=None):
        self._record("UploadMaterialFile", metadata, timeout)
        assert request.site_code in self.sites and request.content.startswith(b"%PDF-")
        digest = hashlib.sha256(request.content).hexdigest()
        self.files[digest] = request
        return pb.MaterialFile(site_code=request.site_code, sha256=digest, path=f"/files/{digest}")

    async def CreateMatter(self, request, metadata=None, timeout=None):
        self._record("CreateMatter", metadata, timeout)
        for m in request.draft.materials:
            for ref in filter(None, (m.template_file, m.sample_file)):
                assert ref.removeprefix("/files/") in self.files, "files are uploaded before the matters"
        assert self.departments[request.draft.department_code].site_code == request.site_code
        if request.code in self.matters:
            raise _error(grpc.StatusCode.ALREADY_EXISTS)
        self.matters[request.code] = pb.MATTER_STATUS_DRAFT
        return pb.Matter(code=request.code)

    async def PublishMatter(self, request, metadata=None, timeout=None):
        self._record("PublishMatter", metadata, timeout)
        if request.code not in self.matters:
            raise _error(grpc.StatusCode.NOT_FOUND)
        if self.matters[request.code] == pb.MATTER_STATUS_PUBLISHED:
            raise _error(grpc.StatusCode.FAILED_PRECONDITION)
        self.matters[request.code] = pb.MATTER_STATUS_PUBLISHED
        return pb.Matter(code=request.code)

    async def GetArticle(self, request, metadata=None, timeout=None):
        self._record("GetArticle", metadata, timeout)
        if request.id not in self.articles:
            raise _error(grpc.StatusCode.NOT_FOUND)
        return self.articles[request.id]

    async def SaveArticle(self, request, metadata=None, timeout=None):
        self._record("SaveArticle", metadata, timeout)
        assert request.id and request.site_code in self.sites
        if request.matter_code:
            assert request.matter_code in self.matters, "matters come before the articles about them"
        self.saves += 1
        article = pb.Article(id=request.id, site_code=request.site_code, status=pb.ARTICLE_STATUS_DRAFT)
        self.articles[request.id] = article
        return article

    async def PublishArticle(self, request, metadata=None, timeout=None):
        self._record("PublishArticle", metadata, timeout)
        article = self.articles[request.id]
        if article.status == pb.ARTICLE_STATUS_PUBLISHED:
            raise _error(grpc.StatusCode.FAILED_PRECONDITION)
        article.status = pb.ARTICLE_STATUS_PUBLISHED
        return article


async def test_loader_is_idempotent() -> None:
    fake = FakeCatalogue()
    metadata = (("x-govhall-caller-bin", b"admin"),)
    assert await demo.load_demo(fake, metadata) == len(demo.MATTERS)  # type: ignore[arg-type]
    assert set(fake.sites) == set(SITES)
    assert len(fake.departments) == len(demo.DEPARTMENTS)
    assert set(fake.matters.values()) == {pb.MATTER_STATUS_PUBLISHED}
    assert {a.status for a in fake.articles.values()} == {pb.ARTICLE_STATUS_PUBLISHED}
    assert set(fake.articles) == {a.id for a in demo.ARTICLES}
    assert await demo.load_demo(fake, metadata) == len(demo.MATTERS)  # type: ignore[arg-type]
    assert len(fake.matters) == len(demo.MATTERS)
    assert fake.saves == len(demo.ARTICLES), "existing articles are not saved again"
    # Every blank form and sample the seed names is made and uploaded, the same bytes each time.
    named = {
        ref
        for kind in demo.KINDS.values()
        for m in kind.materials
        for ref in (m.template_file, m.sample_file)
    }
    assert len(fake.files) == len(named - {""}) > 60
    assert [name for name, *_ in fake.calls].count("UploadMaterialFile") == 2 * len(fake.files)
    assert all(md is metadata and timeout == 10 for _, md, timeout in fake.calls)


async def test_loader_raises_other_errors() -> None:
    class Refusing(FakeCatalogue):
        async def CreateMatter(self, request, metadata=None, timeout=None):
            raise _error(grpc.StatusCode.PERMISSION_DENIED)

    with pytest.raises(grpc.aio.AioRpcError):
        await demo.load_demo(Refusing(), ())  # type: ignore[arg-type]


# --- the loader, against the real catalogue (SQLite and PostgreSQL) -----------------------------

ADMIN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="demo-test"))


@pytest.fixture
async def stub(db_url: str, platform: Any, start_service: Any) -> Any:
    host = await start_service(app.SPEC, CatalogueSettings(database_url=db_url), platform, InProcessBus())
    ch = signed_channel(host.address, "catalogue", "ops")  # as the demo loader signs
    yield catalogue_pb2_grpc.CatalogueServiceStub(ch)
    await ch.close()


async def _all_articles(stub: Any, site_code: str, kind: int, **filters: Any) -> list[pb.Article]:
    response = await stub.ListArticles(
        pb.ListArticlesRequest(
            site_code=site_code, kind=kind, page=common_pb2.PageRequest(page=1, page_size=100), **filters
        ),
        metadata=ADMIN,
        timeout=10,
    )
    assert response.page.total == len(response.articles)
    return list(response.articles)


def _served_at(reference: str) -> str:
    """Where the loader puts the file the seed names: uploaded to the province's site."""
    return f"/api/v1/sites/420000/files/{hashlib.sha256(form_pdf(reference)[1]).hexdigest()}"


def _linked(draft: pb.MatterDraft) -> pb.MatterDraft:
    """The seed's draft as loaded: its materials' named files linked where they were uploaded."""
    out = pb.MatterDraft()
    out.CopyFrom(draft)
    for m in out.materials:
        if m.template_file:
            m.template_file, m.sample_file = _served_at(m.template_file), _served_at(m.sample_file)
    return out


async def test_demo_loads_into_the_catalogue_twice(stub: Any) -> None:
    assert await demo.load_demo(stub, ADMIN) == len(demo.MATTERS)
    first: dict[str, pb.Matter] = {}
    for matter in demo.MATTERS:
        got = await stub.GetMatter(
            pb.GetMatterRequest(site_code=matter.site_code, code=matter.code), metadata=ADMIN, timeout=10
        )
        assert got.status == pb.MATTER_STATUS_PUBLISHED and got.version == 1
        assert got.draft == _linked(validate_draft(DRAFTS[matter.code])), matter.code
        first[matter.code] = got
    articles = {
        a.id: await stub.GetArticle(
            pb.GetArticleRequest(site_code=a.site_code, id=a.id, include_unpublished=True),
            metadata=ADMIN,
            timeout=10,
        )
        for a in demo.ARTICLES
    }
    assert {a.status for a in articles.values()} == {pb.ARTICLE_STATUS_PUBLISHED}

    # Loading again changes nothing: no new versions, no new revisions, no copies of articles.
    assert await demo.load_demo(stub, ADMIN) == len(demo.MATTERS)
    for matter in demo.MATTERS:
        versions = await stub.ListMatterVersions(
            pb.ListMatterVersionsRequest(site_code=matter.site_code, code=matter.code),
            metadata=ADMIN,
            timeout=10,
        )
        assert [(v.version, v.status) for v in versions.versions] == [(1, pb.MATTER_STATUS_PUBLISHED)]
        again = await stub.GetMatter(
            pb.GetMatterRequest(site_code=matter.site_code, code=matter.code), metadata=ADMIN, timeout=10
        )
        assert again.revision == first[matter.code].revision
    for article in demo.ARTICLES:
        again_article = await stub.GetArticle(
            pb.GetArticleRequest(site_code=article.site_code, id=article.id, include_unpublished=True),
            metadata=ADMIN,
            timeout=10,
        )
        assert again_article.revision == articles[article.id].revision

    # Each guide's blank form and sample can be fetched, as PDFs named after them.
    links = {
        link
        for got in first.values()
        for m in got.draft.materials
        for link in (m.template_file, m.sample_file)
        if link
    }
    assert len(links) > 60
    for link in sorted(links):
        site_code, sha256 = link.removeprefix("/api/v1/sites/").split("/files/")
        got_file = await stub.GetMaterialFile(
            pb.GetMaterialFileRequest(site_code=site_code, sha256=sha256), metadata=ADMIN, timeout=10
        )
        assert got_file.content.startswith(b"%PDF-") and got_file.file.path == link
        assert got_file.file.media_type == "application/pdf" and got_file.file.file_name.endswith(".pdf")
        assert hashlib.sha256(got_file.content).hexdigest() == sha256

    # Browsing by the guide's new fields finds the demo matters.
    by_event = await stub.ListMatters(
        pb.ListMattersRequest(
            site_code="420102", life_event="出生", page=common_pb2.PageRequest(page_size=100)
        ),
        metadata=ADMIN,
        timeout=10,
    )
    assert "420102-GAFJ-0002" in {m.code for m in by_event.matters}

    # A county sees its own and its ancestors' announcements that are due, not the scheduled one.
    now = datetime.now(UTC)
    listed = await _all_articles(stub, "420602", pb.ARTICLE_KIND_ANNOUNCEMENT)
    expected = {
        a.id
        for a in demo.ARTICLES
        if a.kind == pb.ARTICLE_KIND_ANNOUNCEMENT
        and a.site_code in ("420000", "420600", "420602")
        and (a.publish_time(now) or now) <= now + timedelta(minutes=1)
    }
    assert {a.id for a in listed} == expected
    scheduled = next(a for a in demo.ARTICLES if a.days_ahead)
    assert scheduled.site_code == "420600" and scheduled.id not in {a.id for a in listed}
    dates = [a.publish_at.ToDatetime() for a in listed]
    assert dates == sorted(dates, reverse=True), "newest first"

    # FAQs about one matter.
    faqs = await _all_articles(stub, "420102", pb.ARTICLE_KIND_FAQ, matter_code="420102-GAFJ-0002")
    assert [a.title for a in faqs] == ["新生儿出生登记可以在网上办理吗？"]
