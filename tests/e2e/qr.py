"""Reading the QR codes govhall prints, as a phone's camera would: a guide's PNG (the catalogue's
/qrcode.png) decoded with zxing-cpp, a notice's or a licence's PDF page rendered to an image with
pypdfium2 first. Shared by the QR tests and the portal's browser journeys."""

from __future__ import annotations

import io

import pypdfium2
import zxingcpp
from PIL import Image

# Points to pixels: 4 is 288 dpi, where the notices' QR code (a few centimetres, tens of modules
# a side) has several pixels per module; at 72 dpi it would not decode.
PDF_SCALE = 4


def _only_qr(image: Image.Image, what: str) -> str:
    found = [r for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert len(found) == 1, f"{what}: expected one QR code, found {[r.text for r in found]}"
    return str(found[0].text)


def decode_qr_png(data: bytes) -> str:
    """The text of the one QR code in an image (PNG or any format Pillow reads)."""
    with Image.open(io.BytesIO(data)) as image:
        return _only_qr(image.convert("L"), "image")


def decode_pdf_qr(pdf: bytes, page: int = 0) -> str:
    """The text of the one QR code on a PDF's page (the first unless told)."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page].render(scale=PDF_SCALE, grayscale=True)
        return _only_qr(bitmap.to_pil(), f"PDF page {page + 1}")
    finally:
        document.close()
