"""A level-A licence's PDF: holder (ID or credit code masked), issuer, dates, the type's fields,
the issuing department's seal and a QR code of the verify URL, stored with kit.files by hash.

The seal is a generated red circle with the issuer's name (an SVG drawn here): a real electronic
seal (GB/T 38540) needs the department's signing key, which govhall does not hold. WeasyPrint is
imported on first use, so the service starts without the PDF libraries; rendering runs in a
worker thread (it takes a CPU second on a busy machine).
"""

from __future__ import annotations

import asyncio
import base64
import html
from typing import Any

from govhall.kit.files import FileStore
from govhall.kit.qr import SVG
from govhall.kit.qr import render as qr_render

_STYLE = """
@page { size: A4; margin: 25mm 20mm; }
body { font-family: "Noto Serif CJK SC", "Noto Sans CJK SC", serif; font-size: 12pt; }
h1 { text-align: center; font-size: 22pt; letter-spacing: 4pt; }
table.fields { width: 100%; border-collapse: collapse; margin: 8mm 0; }
table.fields td { border: 1px solid #333; padding: 2mm 3mm; }
table.fields td.label { width: 30%; }
.foot { position: relative; margin-top: 10mm; }
.seal { width: 42mm; height: 42mm; }
.qr { width: 32mm; height: 32mm; }
.small { font-size: 9pt; word-break: break-all; }
"""


def seal_svg(issuer: str) -> str:
    e = html.escape
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200">'
        '<circle cx="100" cy="100" r="92" fill="none" stroke="#d00" stroke-width="8"/>'
        '<text x="100" y="112" font-size="40" fill="#d00" text-anchor="middle">★</text>'
        f'<text x="100" y="160" font-size="15" fill="#d00" text-anchor="middle">{e(issuer[:14])}</text>'
        "</svg>"
    )


def _data_uri(media_type: str, content: bytes) -> str:
    return f"data:{media_type};base64,{base64.b64encode(content).decode()}"


def licence_html(row: dict[str, Any], type_name: str, fields: list[dict[str, Any]], verify_url: str) -> str:
    """The licence as a self-contained page; every piece of caller text is escaped."""
    import json

    e = html.escape
    values = json.loads(row["metadata"])
    lines = [
        ("证照编号", row["number"]),
        ("持证主体", row["holder_name"]),
        ("证件号码", row["holder_code_masked"] or "—"),
        *[(f["label"], values.get(f["key"], "")) for f in fields],
        ("发证机关", row["issuer_name"]),
        ("发证日期", row["issued_on"].strftime("%Y年%m月%d日")),
        ("有效期至", row["valid_until"].strftime("%Y年%m月%d日") if row["valid_until"] else "长期"),
    ]
    cells = "".join(f'<tr><td class="label">{e(k)}</td><td>{e(str(v))}</td></tr>' for k, v in lines)
    seal = _data_uri("image/svg+xml", seal_svg(row["issuer_name"]).encode())
    qr = _data_uri(SVG, qr_render(verify_url, SVG))
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{e(type_name)}</title></head><body><h1>{e(type_name)}</h1>"
        f'<table class="fields">{cells}</table><table class="foot"><tr>'
        f'<td><img class="qr" src="{e(qr)}" alt="核验二维码"><p>扫码核验</p></td>'
        f'<td><img class="seal" src="{e(seal)}" alt="{e(row["issuer_name"])}"></td></tr></table>'
        f'<p class="small">证照标识：{e(row["identifier"])}</p></body></html>'
    )


def _data_only(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A licence loads nothing but its own data: URIs (the seal, the QR code)."""
    if not url.startswith("data:"):
        raise ValueError(f"licences load no external resources: {url[:80]!r}")
    from weasyprint import default_url_fetcher  # type: ignore[import-untyped]

    return dict(default_url_fetcher(url, *args, **kwargs))


def render_pdf(page: str) -> bytes:
    from weasyprint import CSS, HTML

    pdf = HTML(string=page, url_fetcher=_data_only).write_pdf(
        stylesheets=[CSS(string=_STYLE, url_fetcher=_data_only)]
    )
    assert isinstance(pdf, bytes)
    return pdf


class Renderer:
    """Renders a licence row and stores the PDF by its hash (returned)."""

    def __init__(self, files: FileStore, verify_url_template: str) -> None:
        self.files = files
        self.verify_url_template = verify_url_template

    def verify_url(self, verify_code: str) -> str:
        return self.verify_url_template.format(code=verify_code)

    async def store(self, row: dict[str, Any], type_name: str, fields: list[dict[str, Any]]) -> str:
        page = licence_html(row, type_name, fields, self.verify_url(row["verify_code"]))
        pdf = await asyncio.to_thread(render_pdf, page)
        return await self.files.aput(pdf)
