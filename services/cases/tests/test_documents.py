"""The case notices rendered for real (WeasyPrint, Noto CJK) and read back with pypdf."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from pypdf import PdfReader

from govhall.cases import documents
from govhall.cases.documents import DocumentKind, NoticeData

UTC = dt.UTC
# 2026-11-22 17:30 UTC is 2026-11-23 01:30 in China: the printed date must be the 23rd.
ISSUED = dt.datetime(2026, 11, 22, 17, 30, tzinfo=UTC)
CASE_NUMBER = "420502-2026-SCJG-000123"
SCRIPT = "<script>alert('x')</script>"

OPINIONS = {
    DocumentKind.ACCEPTANCE: "材料齐全，予以受理",
    DocumentKind.NOT_ACCEPTED: "申请事项依法不属于本机关职权范围，请向省市场监督管理局申请",
    DocumentKind.SUPPLEMENT: "请一并提交原件核验",
    DocumentKind.APPROVAL: "经现场核查，经营场所符合要求",
    DocumentKind.DENIAL: "经营场所与食品安全要求不符",
}


def notice(kind: DocumentKind, **changes: object) -> NoticeData:
    data = NoticeData(
        kind=kind,
        document_id="doc-0001",
        verification_code="7K3M9QXA",
        verify_url="https://zwfw.example.gov.cn/api/v1/cases/documents/doc-0001/verify?code=7K3M9QXA",
        case_number="" if kind is DocumentKind.NOT_ACCEPTED else CASE_NUMBER,
        case_id="case-5f2c9a",
        matter_name="食品经营许可（新办）",
        department_name="宜昌市西陵区市场监督管理局",
        site_name="宜昌市西陵区政务服务中心",
        applicant_name="宜昌三峡餐饮管理有限公司",
        issued_at=ISSUED,
        submitted_at=dt.datetime(2026, 11, 18, 2, 0, tzinfo=UTC),
        accepted_at=None
        if kind is DocumentKind.NOT_ACCEPTED
        else dt.datetime(2026, 11, 19, 3, 0, tzinfo=UTC),
        promised_due="2026-12-10",
        opinion=OPINIONS[kind],
        supplement_items=(("营业执照复印件", "未加盖公章"), ("食品安全管理制度", "缺少进货查验制度"))
        if kind is DocumentKind.SUPPLEMENT
        else (),
        supplement_deadline="2026-12-03" if kind is DocumentKind.SUPPLEMENT else "",
        result_name="食品经营许可证" if kind is DocumentKind.APPROVAL else "",
        legal_basis="《中华人民共和国食品安全法》第三十五条",
    )
    return dataclasses.replace(data, **changes)  # type: ignore[arg-type]


def flat(text: str) -> str:
    """pypdf breaks lines wherever the layout did: compare with all whitespace removed."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    return flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


@pytest.fixture(scope="module")
def rendered() -> dict[DocumentKind, bytes]:
    return {kind: documents.render_pdf(notice(kind)) for kind in DocumentKind}


@pytest.mark.parametrize("kind", list(DocumentKind))
def test_every_notice_prints_title_number_parties_and_opinion(
    rendered: dict[DocumentKind, bytes], kind: DocumentKind
) -> None:
    pdf = rendered[kind]
    data = notice(kind)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    for expected in (
        kind.title,
        data.matter_name,
        data.applicant_name,
        data.department_name,
        data.opinion,
        "2026年11月23日",  # issued_at read in China Standard Time
        "扫码核验",
        "核验码：7K3M9QXA",
        "文书编号：doc-0001",
    ):
        assert flat(expected) in text, expected
    if kind is DocumentKind.NOT_ACCEPTED:
        assert "申请编号：case-5f2c9a" in text
        assert "办件编号" not in text
    else:
        assert f"办件编号：{CASE_NUMBER}" in text
    # The QR image loaded: WeasyPrint prints the alt text in its place when an image fails.
    assert "核验二维码" not in text


def test_titles() -> None:
    assert [k.title for k in DocumentKind] == [
        "受理通知书",
        "不予受理通知书",
        "补正告知书",
        "准予许可决定书",
        "不予许可决定书",
    ]
    assert DocumentKind.DENIAL.title_zh == "不予许可决定书"


def test_acceptance_states_the_dates_and_the_decision(rendered: dict[DocumentKind, bytes]) -> None:
    text = pdf_text(rendered[DocumentKind.ACCEPTANCE])
    assert "你（单位）于2026年11月18日提出的食品经营许可（新办）申请" in text
    assert "申请材料齐全、符合法定形式" in text
    assert "本机关决定予以受理" in text
    assert "承诺办结日期：2026年12月10日" in text


@pytest.mark.parametrize(
    ("kind", "statute", "document"),
    [
        (DocumentKind.NOT_ACCEPTED, "《中华人民共和国行政许可法》第三十二条", "通知书"),
        (DocumentKind.DENIAL, "《中华人民共和国行政许可法》第三十八条第二款", "决定书"),
    ],
)
def test_refusals_give_reasons_basis_and_remedies(
    rendered: dict[DocumentKind, bytes], kind: DocumentKind, statute: str, document: str
) -> None:
    text = pdf_text(rendered[kind])
    assert statute in text
    assert "法律依据：《中华人民共和国食品安全法》第三十五条" in text
    assert f"自收到本{document}之日起六十日内依法申请行政复议" in text
    assert "向人民法院提起行政诉讼" in text


def test_approval_names_the_licence_and_the_acceptance_date(rendered: dict[DocumentKind, bytes]) -> None:
    text = pdf_text(rendered[DocumentKind.APPROVAL])
    assert "本机关决定准予行政许可" in text
    assert "颁发食品经营许可证" in text
    assert "本机关已于2026年11月19日依法受理" in text
    assert "行政复议" not in text


def test_supplement_lists_every_item_and_the_deadline(rendered: dict[DocumentKind, bytes]) -> None:
    text = pdf_text(rendered[DocumentKind.SUPPLEMENT])
    assert "一次性告知" in text
    for material, problem in notice(DocumentKind.SUPPLEMENT).supplement_items:
        assert material in text
        assert problem in text
    assert "请于2026年12月3日前（含当日）提交全部补正材料" in text
    assert "逾期未补正的，视为撤回申请，本机关将予以退件" in text


def test_a_long_supplement_list_runs_over_pages_and_keeps_every_item() -> None:
    items = tuple((f"材料{n:02d}号", f"问题说明{n:02d}：签字页缺失，需重新提交") for n in range(1, 41))
    pdf = documents.render_pdf(notice(DocumentKind.SUPPLEMENT, supplement_items=items))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    text = pdf_text(pdf)
    for material, problem in items:
        assert flat(material) in text
        assert flat(problem) in text
    assert "2026年12月3日" in text
    assert f"共{len(reader.pages)}页" in text


def test_supplement_at_intake_prints_the_application_id() -> None:
    pdf = documents.render_pdf(notice(DocumentKind.SUPPLEMENT, case_number=""))
    text = pdf_text(pdf)
    assert "申请编号：case-5f2c9a" in text
    assert "不计算在办理期限内" not in text  # no clock runs before acceptance


def test_user_text_is_escaped_and_printed_literally() -> None:
    data = notice(
        DocumentKind.SUPPLEMENT,
        applicant_name=f"张三{SCRIPT}",
        opinion=f'<b>加粗</b> & "引号"{SCRIPT}',
        supplement_items=(("<img src=x onerror=alert(1)>身份证", f"{SCRIPT}模糊"),),
        matter_name="<i>食品经营许可</i>",
    )
    page = documents.notice_html(data)
    assert "<script>" not in page
    assert "<b>" not in page and "<i>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;" in page
    assert "张三&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page

    text = pdf_text(documents.render_pdf(data))
    assert flat(f"张三{SCRIPT}") in text
    assert flat(f'<b>加粗</b> & "引号"{SCRIPT}') in text
    assert flat("<img src=x onerror=alert(1)>身份证") in text
    assert "<i>食品经营许可</i>" in text


def test_the_qr_code_of_verify_url_is_embedded_as_svg() -> None:
    data = notice(DocumentKind.ACCEPTANCE)
    page = documents.notice_html(data)
    uri = documents.qr_data_uri(data.verify_url)
    assert uri.startswith("data:image/svg+xml")
    assert f'<img src="{uri}"' in page  # a segno data URI needs no HTML escaping
    other = notice(DocumentKind.ACCEPTANCE, verify_url="https://zwfw.example.gov.cn/verify/other")
    assert documents.qr_data_uri(other.verify_url) != uri
    assert documents.qr_data_uri(other.verify_url) in documents.notice_html(other)


def test_notices_fetch_nothing_but_data_uris() -> None:
    for url in ("https://example.com/logo.png", "file:///etc/passwd", "/etc/hostname"):
        with pytest.raises(ValueError, match="no external resources"):
            documents._data_only(url)


def test_rendering_twice_prints_the_number_both_times() -> None:
    data = notice(DocumentKind.APPROVAL)
    first, second = documents.render_pdf(data), documents.render_pdf(data)
    assert CASE_NUMBER in pdf_text(first)
    assert CASE_NUMBER in pdf_text(second)


def test_renders_in_parallel_threads_keep_their_own_content() -> None:
    numbers = [f"420502-2026-SCJG-{n:06d}" for n in range(1, 7)]
    kinds = list(DocumentKind)
    jobs = [notice(kinds[i % len(kinds)], case_number=num) for i, num in enumerate(numbers)]
    with ThreadPoolExecutor(max_workers=3) as pool:
        pdfs = list(pool.map(documents.render_pdf, jobs))
    for job, pdf in zip(jobs, pdfs, strict=True):
        text = pdf_text(pdf)
        assert job.kind.title in text
        assert job.case_number in text
        assert all(n not in text for n in numbers if n != job.case_number)


def test_chinese_dates() -> None:
    assert documents.format_cn_date(dt.date(2026, 1, 5)) == "2026年1月5日"
    assert documents.format_cn_date(dt.datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == "2027年1月1日"
    assert documents.format_cn_date(dt.datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == "2026年12月31日"


def test_text_lines_are_plain_text() -> None:
    lines = documents.document_text_lines(notice(DocumentKind.ACCEPTANCE, applicant_name=SCRIPT))
    assert lines[0] == f"{SCRIPT}："
    assert any(f"办件编号：{CASE_NUMBER}" in line for line in lines)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"issued_at": dt.datetime(2026, 11, 23, 9, 0)}, "aware"),
        ({"submitted_at": dt.datetime(2026, 11, 23, 9, 0)}, "aware"),
        ({"promised_due": "2026/12/10"}, "YYYY-MM-DD"),
        ({"supplement_deadline": "20261203"}, "YYYY-MM-DD"),
        ({"supplement_items": ()}, "at least one item"),
        ({"supplement_deadline": ""}, "supplement_deadline"),
        ({"verify_url": ""}, "verify_url"),
        ({"case_number": "", "case_id": ""}, "case_id"),
    ],
)
def test_bad_data_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        notice(DocumentKind.SUPPLEMENT, **changes)


def test_each_date_under_its_own_name_and_both_numbers() -> None:
    # 即办件: no promised limit, a legal one; the legal due date is not a promise.
    data = notice(
        DocumentKind.ACCEPTANCE,
        promised_due="",
        legal_due="2026-11-24",
        application_number="SB42050220261118000007",
    )
    lines = documents.document_text_lines(data)
    assert any("法定办结日期：2026年11月24日" in line for line in lines)
    assert not any("承诺办结日期" in line for line in lines)
    assert data.numbers == f"办件编号：{CASE_NUMBER}　申报号：SB42050220261118000007"
    both = notice(DocumentKind.ACCEPTANCE, legal_due="2026-12-20")
    text = "".join(documents.document_text_lines(both))
    assert "承诺办结日期：2026年12月10日" in text and "法定办结日期：2026年12月20日" in text


def test_before_acceptance_the_application_number_not_the_internal_id() -> None:
    data = notice(DocumentKind.SUPPLEMENT, case_number="", application_number="SB42050220261118000007")
    text = pdf_text(documents.render_pdf(data))
    assert "申报号：SB42050220261118000007" in text and "case-5f2c9a" not in text
