"""Case notices (办件文书) as PDF: 受理通知书, 不予受理通知书, 补正告知书, 准予/不予许可决定书.

Pure functions: :func:`notice_html` builds a small HTML page from a :class:`NoticeData` and
:func:`render_pdf` lays it out with WeasyPrint. Nothing is read or fetched: the only resource is
the verification QR code, embedded as a ``data:`` SVG, and the URL fetcher refuses anything else.

- Every notice prints the case number (办件编号) and the application number (申报号) under
  the title, or the application number alone while the case has no case number yet (不予受理,
  补正 at intake) — the numbers the applicant knows, never an internal id — the department, the
  issue date in China Standard Time (2026年11月23日) and a QR code that encodes ``verify_url``
  with "扫码核验" and the short verification code beside it.
- All caller text goes through :func:`html.escape`; :func:`document_text_lines` returns it raw.
- One font face, Noto Sans CJK SC Regular (Debian's fonts-noto-cjk): the title and the number
  stand out by size, not weight. Each further face (bold, serif) costs about 50 ms and 150 KB of
  embedded subset per notice. libharfbuzz-subset0 does the subsetting; without it WeasyPrint
  falls back to fontTools, which takes some 4 s per notice with these fonts.
- Thread-safe: a render shares nothing mutable. The parsed stylesheet is built once and only read
  afterwards; WeasyPrint makes a font configuration per render. Callers in asyncio run
  :func:`render_pdf` with ``asyncio.to_thread``: a warm render takes about 0.1 s, the first one
  in a process about 1.5 s more (WeasyPrint is imported then, not when this module is).
"""

from __future__ import annotations

import datetime as dt
import functools
import html
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from govhall.cases.vocabulary import CHINA

log = logging.getLogger(__name__)

__all__ = [
    "DocumentKind",
    "NoticeData",
    "document_text_lines",
    "format_cn_date",
    "notice_html",
    "qr_data_uri",
    "render_pdf",
]


class DocumentKind(StrEnum):
    ACCEPTANCE = "acceptance"
    NOT_ACCEPTED = "not_accepted"
    SUPPLEMENT = "supplement"
    APPROVAL = "approval"
    DENIAL = "denial"

    @property
    def title(self) -> str:  # type: ignore[override]  # shadows str.title(): members are str
        """The Chinese title, e.g. 受理通知书."""
        return _TITLES[self]

    @property
    def title_zh(self) -> str:
        """Same as :attr:`title` (the name workflow.py uses)."""
        return _TITLES[self]


_TITLES: Final = {
    DocumentKind.ACCEPTANCE: "受理通知书",
    DocumentKind.NOT_ACCEPTED: "不予受理通知书",
    DocumentKind.SUPPLEMENT: "补正告知书",
    DocumentKind.APPROVAL: "准予许可决定书",
    DocumentKind.DENIAL: "不予许可决定书",
}

#: The procedural statute of each notice. The matter's own ``legal_basis`` (its 设定依据) is
#: printed beside it in the notices that decide: 不予受理, 准予许可, 不予许可.
_STATUTE: Final = {
    DocumentKind.ACCEPTANCE: "《中华人民共和国行政许可法》第三十二条第一款第（五）项",
    DocumentKind.NOT_ACCEPTED: "《中华人民共和国行政许可法》第三十二条",
    DocumentKind.SUPPLEMENT: "《中华人民共和国行政许可法》第三十二条第一款第（四）项",
    DocumentKind.APPROVAL: "《中华人民共和国行政许可法》第三十八条第一款",
    DocumentKind.DENIAL: "《中华人民共和国行政许可法》第三十八条第二款",
}

#: 行政复议法 art. 20 (60 days) and 行政诉讼法 art. 46 (6 months); 行政许可法 art. 38 requires it.
_REMEDIES: Final = (
    "你（单位）如对本决定不服，可以自收到本{doc}之日起六十日内依法申请行政复议，"
    "或者自收到本{doc}之日起六个月内依法向人民法院提起行政诉讼。"
)


@dataclass(frozen=True)
class NoticeData:
    """What a notice prints. Dates given as text are ``YYYY-MM-DD`` or empty."""

    kind: DocumentKind
    document_id: str
    verification_code: str  # short code printed beside the QR code
    verify_url: str  # what the QR code encodes
    case_number: str  # "" before acceptance: the application number is printed instead
    case_id: str  # printed only when a notice has neither number (none issued since 申报号 exist)
    matter_name: str
    department_name: str
    site_name: str  # issuing site, e.g. 宜昌市政务服务中心; may be empty
    applicant_name: str
    issued_at: dt.datetime
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    promised_due: str
    opinion: str  # the reason or opinion: 不予受理理由, 审查意见…
    supplement_items: tuple[tuple[str, str], ...] = ()  # (material, what to fix) for 补正告知书
    supplement_deadline: str = ""
    result_name: str = ""  # the licence issued on approval, e.g. 营业执照
    legal_basis: str = ""  # the matter's 设定依据, printed in 不予受理 and the decisions
    application_number: str = ""  # 申报号, issued on submission
    legal_due: str = ""  # the legal limit's due date (法定办结日期); promised_due is the promised one

    def __post_init__(self) -> None:
        if not isinstance(self.kind, DocumentKind):
            object.__setattr__(self, "kind", DocumentKind(self.kind))
        for name in ("issued_at", "submitted_at", "accepted_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be an aware datetime")
        for name in ("promised_due", "legal_due", "supplement_deadline"):
            _parse_date(getattr(self, name), name)
        if not self.verify_url:
            raise ValueError("verify_url is required (the QR code encodes it)")
        if not self.case_number and not self.case_id:
            raise ValueError("case_number or case_id is required")
        if self.kind is DocumentKind.SUPPLEMENT:
            if not self.supplement_items:
                raise ValueError("a supplement notice lists at least one item")
            if not self.supplement_deadline:
                raise ValueError("a supplement notice needs supplement_deadline")

    @property
    def reference(self) -> tuple[str, str]:
        """The number the text refers to: 办件编号, else 申报号 (else, for a case from before
        application numbers, its id as 申请编号)."""
        if self.case_number:
            return "办件编号", self.case_number
        if self.application_number:
            return "申报号", self.application_number
        return "申请编号", self.case_id

    @property
    def numbers(self) -> str:
        """What is printed under the title: every number the applicant has."""
        label, ref = self.reference
        both = self.case_number and self.application_number
        return f"{label}：{ref}" + (f"　申报号：{self.application_number}" if both else "")


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


def _parse_date(text: str, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name} must be YYYY-MM-DD or empty, not {text!r}") from None


def format_cn_date(value: dt.datetime | dt.date) -> str:
    """2026年11月23日; an aware datetime is read in China Standard Time."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(CHINA).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _cn_date_text(text: str) -> str:
    date = _parse_date(text, "date")
    return format_cn_date(date) if date else ""


def _application(data: NoticeData) -> str:
    when = f"于{format_cn_date(data.submitted_at)}" if data.submitted_at else ""
    return f"你（单位）{when}提出的{data.matter_name}申请"


def document_text_lines(data: NoticeData) -> list[str]:
    """The salutation and body paragraphs in reading order, unescaped.

    The 补正 items are a table of their own, printed after the second line.
    """
    statute = _STATUTE[data.kind]
    label, ref = data.reference
    basis = [f"法律依据：{data.legal_basis}"] if data.legal_basis else []
    lines = [f"{data.applicant_name}："]
    match data.kind:
        case DocumentKind.ACCEPTANCE:
            lines.append(
                f"{_application(data)}，经审查，申请材料齐全、符合法定形式，"
                f"依据{statute}的规定，本机关决定予以受理。"
            )
            facts = f"{data.numbers}。"
            # Each date under its own name: a matter without a promised limit (即办件 with 0)
            # has only the legal one, which is not a promise.
            if data.promised_due:
                facts += f"承诺办结日期：{_cn_date_text(data.promised_due)}。"
            if data.legal_due:
                facts += f"法定办结日期：{_cn_date_text(data.legal_due)}。"
            if data.promised_due or data.legal_due:
                facts += "依法不计入办理期限的时间除外。"
            lines.append(facts)
            if data.opinion:
                lines.append(f"受理意见：{data.opinion}")
            lines.append(f"你（单位）可凭{label}和查询密码或扫描本通知书下方的二维码查询办理进度。")
        case DocumentKind.NOT_ACCEPTED:
            lines.append(f"{_application(data)}（{label}：{ref}），经审查，不符合受理条件。")
            if data.opinion:
                lines.append(f"不予受理理由：{data.opinion}")
            lines.extend(basis)
            lines.append(f"依据{statute}的规定，本机关决定不予受理。")
            lines.append(_REMEDIES.format(doc="通知书"))
        case DocumentKind.SUPPLEMENT:
            lines.append(
                f"{_application(data)}（{label}：{ref}），经审查，申请材料不齐全或者不符合法定形式。"
                f"依据{statute}的规定，现一次性告知你（单位）需要补正的全部内容如下："
            )
            lines.append(
                f"请于{_cn_date_text(data.supplement_deadline)}前（含当日）提交全部补正材料。"
                "逾期未补正的，视为撤回申请，本机关将予以退件。"
            )
            if data.case_number:  # accepted: the clock pauses while the applicant supplements
                lines.append("补正材料所需时间不计算在办理期限内。")
            if data.opinion:
                lines.append(f"说明：{data.opinion}")
        case DocumentKind.APPROVAL:
            lines.append(
                f"{_application(data)}（{label}：{ref}），{_accepted(data)}"
                "经审查，你（单位）的申请符合法定条件、标准。"
                f"依据{statute}的规定，本机关决定准予行政许可。"
            )
            if data.result_name:
                lines.append(f"本机关依法向你（单位）颁发{data.result_name}。")
            if data.opinion:
                lines.append(f"审查意见：{data.opinion}")
            lines.extend(basis)
        case DocumentKind.DENIAL:
            lines.append(
                f"{_application(data)}（{label}：{ref}），{_accepted(data)}"
                "经审查，你（单位）的申请不符合法定条件、标准。"
                f"依据{statute}的规定，本机关决定不予行政许可。"
            )
            if data.opinion:
                lines.append(f"不予许可理由：{data.opinion}")
            lines.extend(basis)
            lines.append(_REMEDIES.format(doc="决定书"))
    return lines


def _accepted(data: NoticeData) -> str:
    return f"本机关已于{format_cn_date(data.accepted_at)}依法受理，" if data.accepted_at else ""


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_STYLE: Final = """
@page {
  size: A4;
  margin: 25mm 22mm 22mm 22mm;
  @bottom-center { content: "第 " counter(page) " 页 共 " counter(pages) " 页"; font-size: 9pt; color: #555; }
}
html {
  font-family: "Noto Sans CJK SC", "Noto Serif CJK SC", sans-serif;
  font-weight: normal;
  font-size: 12pt;
  line-height: 1.75;
}
body { margin: 0; }
h1, th, strong { font-weight: normal; }
.issuer { text-align: center; font-size: 15pt; margin: 0; text-indent: 0; }
h1 { text-align: center; font-size: 24pt; letter-spacing: 3pt; margin: 3mm 0 2mm; }
p.ref { text-align: center; text-indent: 0; font-size: 14pt; margin: 0 0 8mm; }
p { margin: 0 0 2mm; text-indent: 2em; text-align: justify; }
p.to { text-indent: 0; }
table.items { width: 100%; border-collapse: collapse; margin: 2mm 0 4mm; font-size: 11pt; }
table.items th, table.items td { border: 0.5pt solid #000; padding: 1.5mm 2mm; vertical-align: top; }
table.items th { background: #eee; text-align: center; }
table.items td.no { width: 10mm; text-align: center; }
table.items td.material { width: 45mm; }
tr { break-inside: avoid; }
.sign { margin: 12mm 0 8mm auto; width: 80mm; break-inside: avoid; }
.sign p { text-indent: 0; text-align: center; margin: 0; }
table.verify { border-collapse: collapse; break-inside: avoid; font-size: 10pt; line-height: 1.5; }
table.verify td { padding: 0 4mm 0 0; vertical-align: middle; }
table.verify img { width: 28mm; height: 28mm; display: block; }
table.verify p { text-indent: 0; margin: 0; text-align: left; }
.code { font-size: 14pt; letter-spacing: 1pt; }
"""


def qr_data_uri(url: str) -> str:
    """A QR code (never a Micro QR, which phones do not read) of ``url`` as an SVG data URI."""
    import segno  # when first drawn, as WeasyPrint below

    return str(segno.make_qr(url, error="m").svg_data_uri(scale=4, border=4))


def notice_html(data: NoticeData) -> str:
    """The notice as a self-contained HTML page; every piece of caller text is escaped."""
    e = html.escape
    title = data.kind.title
    salutation, *body = document_text_lines(data)
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title></head><body>",
        f'<p class="issuer">{e(data.department_name)}</p>' if data.department_name else "",
        f"<h1>{e(title)}</h1>",
        f'<p class="ref">{e(data.numbers)}</p>',
        f'<p class="to">{e(salutation)}</p>',
    ]
    if data.kind is DocumentKind.SUPPLEMENT:
        # The 告知 sentence, then the items, then the deadline and the rest.
        parts.append(f"<p>{e(body[0])}</p>")
        parts.append(_items_table(data.supplement_items))
        body = body[1:]
    parts.extend(f"<p>{e(line)}</p>" for line in body)
    parts.append('<div class="sign">')
    if data.department_name:
        parts.append(f"<p>{e(data.department_name)}</p>")
    parts.append(f"<p>{e(format_cn_date(data.issued_at))}</p></div>")
    parts.append(
        '<table class="verify"><tr>'
        f'<td><img src="{e(qr_data_uri(data.verify_url))}" alt="核验二维码"></td><td>'
        "<p>扫码核验</p>"
        f'<p>核验码：<span class="code">{e(data.verification_code)}</span></p>'
        f"<p>文书编号：{e(data.document_id)}</p>"
    )
    if data.site_name:
        parts.append(f"<p>办理地点：{e(data.site_name)}</p>")
    parts.append("</td></tr></table></body></html>")
    return "".join(parts)


def _items_table(items: Iterable[tuple[str, str]]) -> str:
    e = html.escape
    rows = "".join(
        f'<tr><td class="no">{n}</td><td class="material">{e(material)}</td><td>{e(problem)}</td></tr>'
        for n, (material, problem) in enumerate(items, start=1)
    )
    return (
        '<table class="items"><thead><tr><th>序号</th><th>材料名称</th><th>需补正内容</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>"
    )


# --------------------------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------------------------


def _data_only(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """The URL fetcher: data: URIs (the QR code) only; a notice loads nothing else."""
    if not url.startswith("data:"):
        raise ValueError(f"notices load no external resources: {url[:80]!r}")
    from weasyprint import default_url_fetcher  # type: ignore[import-untyped]

    return dict(default_url_fetcher(url, *args, **kwargs))


@functools.cache
def _stylesheet() -> Any:
    # Parsed once; WeasyPrint only reads a CSS object while rendering, so threads may share it.
    from weasyprint import CSS

    return CSS(string=_STYLE, url_fetcher=_data_only)


def warm_up() -> None:
    """Import WeasyPrint and parse the stylesheet now, not in the first notice's request (that
    costs some 1.5 s, many times that on a busy machine, and ran into the RPC's deadline). A
    machine without the PDF libraries still serves everything but notices: the failure is logged."""
    try:
        _stylesheet()
    except Exception:
        log.warning("the PDF renderer could not be prepared; notices will fail", exc_info=True)


def render_pdf(data: NoticeData) -> bytes:
    """The notice as a one- or more-page A4 PDF (fonts embedded and subset).

    The first call in a process imports WeasyPrint (about 1 s, and it needs Pango at that point):
    importing this module does not, so the service starts and serves without the PDF libraries.
    """
    from weasyprint import HTML

    document = HTML(string=notice_html(data), url_fetcher=_data_only)
    pdf = document.write_pdf(stylesheets=[_stylesheet()])
    assert isinstance(pdf, bytes)
    return pdf
