"""The demo's blank forms and samples as one-page PDFs, made from their names.

The demo seed names a material's 空白表格 and 示例样表 (``demo/templates/<name>``) but ships no
files; the seed loader makes one of these for each and uploads it (seedloader.py), so that a
newcomer's guide offers downloads that open. A form is its title over the lines an applicant
fills in; a sample has them filled with made-up values and says so in its title.

The text is set in STSong-Light, one of the CJK fonts every PDF reader provides (PDF 1.7
§9.7.5.2), with the UniGB-UCS2-H encoding: no font file is embedded, so a page is a few KB and
needs nothing installed here. The same name gives the same bytes (no dates inside), so loading
the demo again uploads the same content to the same path.
"""

from __future__ import annotations

from pathlib import PurePosixPath

# (label, a sample's made-up value)
_LINES = (
    ("申请人（单位）名称", "示例科技有限公司"),
    ("统一社会信用代码／身份证号码", "91420100MA4K00000X"),
    ("法定代表人（负责人）", "张三"),
    ("联系人", "李四"),
    ("联系电话", "027-00000000"),
    ("地址", "湖北省武汉市江岸区示例路 1 号"),
    ("申请事项及内容", "见申请书正文"),
    ("申请日期", "2026 年 1 月 1 日"),
    ("申请人签字（盖章）", "张三（示例）"),
)
_WIDTH, _HEIGHT = 595, 842  # A4 in points


def _text(s: str) -> str:
    """A PDF hex string in UCS-2 big-endian (the demo's names are all in the BMP)."""
    return "<" + s.encode("utf-16-be").hex().upper() + ">"


def _page(title: str, sample: bool) -> bytes:
    ops = [f"BT /F1 18 Tf 72 770 Td {_text(title)} Tj ET"]
    if sample:
        ops.append(
            f"BT /F1 11 Tf 72 745 Td {_text('本样表所填内容均为示例，请按本人（单位）实际情况填写')} Tj ET"
        )
    y = 700
    for label, value in _LINES:
        ops.append(f"BT /F1 12 Tf 72 {y} Td {_text(label + '：')} Tj ET")
        ops.append(f"0.5 w 250 {y - 3} m 523 {y - 3} l S")
        if sample:
            ops.append(f"BT /F1 12 Tf 256 {y} Td {_text(value)} Tj ET")
        y -= 44
    return "\n".join(ops).encode("ascii")


def form_pdf(reference: str) -> tuple[str, bytes]:
    """The file name (.pdf) and content of the demo's file named by ``reference``."""
    stem = PurePosixPath(reference).stem
    sample = "示例" in stem
    content = _page(stem, sample)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {_WIDTH} {_HEIGHT}] "
        "/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>".encode("ascii"),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [6 0 R] >>",
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 4 >> "
        b"/FontDescriptor 7 0 R /DW 1000 >>",
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] "
        b"/ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return f"{stem}.pdf", bytes(out)
