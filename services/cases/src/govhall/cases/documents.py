"""Case notices (办件文书) as PDF: 受理通知书, 不予受理通知书, 补正告知书, 准予/不予许可决定书.

Each is rendered with WeasyPrint from a small HTML page in Noto CJK (Debian's fonts-noto-cjk;
libharfbuzz-subset0 keeps the embedded font subset small and the render near 0.2 s in a warm
process). Every notice prints the case number, the date in Chinese, and a QR code that opens the
portal's verification page with the code printed beside it. All applicant and staff text is
escaped. No I/O but the rendering.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from zoneinfo import ZoneInfo

import segno

CHINA: Final = ZoneInfo("Asia/Shanghai")


class DocumentKind(StrEnum):
    ACCEPTANCE = "acceptance"
    NOT_ACCEPTED = "not_accepted"
    SUPPLEMENT = "supplement"
    APPROVAL = "approval"
    DENIAL = "denial"

    @property
    def title_zh(self) -> str:
        return TITLES[self]


TITLES: Final = {
    DocumentKind.ACCEPTANCE: "受理通知书",
    DocumentKind.NOT_ACCEPTED: "不予受理通知书",
    DocumentKind.SUPPLEMENT: "补正告知书",
    DocumentKind.APPROVAL: "准予许可决定书",
    DocumentKind.DENIAL: "不予许可决定书",
}

REMEDIES: Final = (
    "如不服本决定，可以自收到本通知书之日起六十日内依法申请行政复议，"
    "或者在六个月内依法向人民法院提起行政诉讼。"
)


@dataclass(frozen=True)
class NoticeData:
    kind: DocumentKind
    document_id: str
    verification_code: str
    verify_url: str
    case_number: str
    case_id: str
    matter_name: str
    department_name: str
    site_name: str
    applicant_name: str
    issued_at: dt.datetime
    submitted_at: dt.datetime | None
    accepted_at: dt.datetime | None
    promised_due: str
    opinion: str
    supplement_items: tuple[tuple[str, str], ...] = ()
    supplement_deadline: str = ""
    result_name: str = ""
    legal_basis: str = ""


def chinese_date(value: dt.datetime | dt.date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        value = value.astimezone(CHINA).date()
    return f"{value.year}年{value.month}月{value.day}日"


def body_paragraphs(d: NoticeData) -> list[str]:
    """The notice's paragraphs, plain text (escaped when put into HTML)."""
    who = d.applicant_name or "申请人"
    filed = chinese_date(d.submitted_at) or chinese_date(d.issued_at)
    matter = f"“{d.matter_name}”"
    if d.kind is DocumentKind.ACCEPTANCE:
        out = [
            f"{who}：",
            f"你（单位）于{filed}提出的{matter}申请，经审查，申请材料齐全、符合法定形式，"
            "根据《中华人民共和国行政许可法》第三十二条的规定，本机关决定予以受理。",
        ]
        if d.promised_due:
            out.append(f"本机关将于{chinese_date(d.promised_due)}前作出决定（依法不计入期限的时间除外）。")
        return out
    if d.kind is DocumentKind.NOT_ACCEPTED:
        return [
            f"{who}：",
            f"你（单位）于{filed}提出的{matter}申请，经审查，本机关决定不予受理。",
            f"理由：{d.opinion}",
            REMEDIES,
        ]
    if d.kind is DocumentKind.SUPPLEMENT:
        return [
            f"{who}：",
            f"你（单位）于{filed}提出的{matter}申请，经审查，申请材料不齐全或者不符合法定形式。"
            "根据《中华人民共和国行政许可法》第三十二条的规定，现一次性告知需要补正的全部内容如下：",
        ]
    if d.kind is DocumentKind.APPROVAL:
        result = f"，发给《{d.result_name}》" if d.result_name else ""
        return [
            f"{who}：",
            f"你（单位）提出的{matter}申请，经审查，符合法定条件、标准，"
            f"根据《中华人民共和国行政许可法》第三十八条第一款的规定，本机关决定准予行政许可{result}。",
            *([f"审查意见：{d.opinion}"] if d.opinion else []),
        ]
    return [
        f"{who}：",
        f"你（单位）提出的{matter}申请，经审查，不符合法定条件、标准，"
        "根据《中华人民共和国行政许可法》第三十八条第二款的规定，本机关决定不予行政许可。",
        f"理由：{d.opinion}",
        REMEDIES,
    ]


_CSS: Final = """
@page { size: A4; margin: 22mm 20mm; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 12pt; line-height: 1.8; }
h1 { text-align: center; font-size: 20pt; letter-spacing: 4pt; margin: 0 0 4mm; }
.number { text-align: center; font-family: "Noto Sans CJK SC", sans-serif; margin-bottom: 8mm; }
p { text-indent: 2em; margin: 0 0 2mm; }
p.salutation { text-indent: 0; }
table { border-collapse: collapse; width: 100%; margin: 3mm 0; }
th, td { border: 0.6pt solid #333; padding: 2mm; text-align: left; vertical-align: top; }
.sign { text-align: right; margin-top: 12mm; }
.verify { margin-top: 14mm; font-family: "Noto Sans CJK SC", sans-serif; font-size: 9pt; }
.verify img { width: 26mm; height: 26mm; float: left; margin-right: 4mm; }
"""


def qr_data_uri(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(scale=4, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def notice_html(d: NoticeData) -> str:
    e = html.escape
    paragraphs = body_paragraphs(d)
    parts = [f'<p class="salutation">{e(paragraphs[0])}</p>'] + [f"<p>{e(p)}</p>" for p in paragraphs[1:]]
    if d.kind is DocumentKind.SUPPLEMENT:
        rows = "".join(
            f"<tr><td>{i}</td><td>{e(material)}</td><td>{e(problem)}</td></tr>"
            for i, (material, problem) in enumerate(d.supplement_items, 1)
        )
        parts.append(f"<table><tr><th>序号</th><th>材料</th><th>需补正内容</th></tr>{rows}</table>")
        parts.append(
            f"<p>请于{e(chinese_date(d.supplement_deadline))}前补正。逾期未补正的，视为放弃申请，本机关将作退件处理。</p>"
        )
        if d.opinion:
            parts.append(f"<p>{e(d.opinion)}</p>")
    number = d.case_number or d.case_id
    label = "办件编号" if d.case_number else "申请编号"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{_CSS}</style></head><body>
<h1>{e(d.kind.title_zh)}</h1>
<div class="number">{label}：{e(number)}</div>
<div>事项名称：{e(d.matter_name)}</div>
{"".join(parts)}
<div class="sign">{e(d.department_name)}<br>{e(chinese_date(d.issued_at))}</div>
<div class="verify"><img src="{qr_data_uri(d.verify_url)}" alt="QR">扫码核验<br>核验码：{e(d.verification_code)}<br>
文书编号：{e(d.document_id)}</div>
</body></html>"""


def render_pdf(d: NoticeData) -> bytes:
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy import: only when rendering

    pdf = HTML(string=notice_html(d)).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
