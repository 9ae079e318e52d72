"""QR codes for guide pages: printed on hall notices and leaflets, they open the guide on a phone."""

from __future__ import annotations

import io

import segno

from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

# About this many pixels a side: large enough to scan from a printed A4 notice, small enough to embed.
TARGET_PIXELS = 250
BORDER = 4  # the quiet zone the standard asks for, in modules

MEDIA_TYPES: dict[int, str] = {pb.QR_FORMAT_PNG: "image/png", pb.QR_FORMAT_SVG: "image/svg+xml"}


def guide_url(template: str, site_code: str, code: str) -> str:
    return template.format(site_code=site_code, code=code)


def render(url: str, fmt: int) -> pb.GuideQrCode:
    """The code for url as PNG (the default) or SVG."""
    fmt = fmt or pb.QR_FORMAT_PNG
    # Level M survives a smudged or partly covered print and keeps a URL at a small version.
    qr = segno.make(url, error="m", micro=False)
    modules, _ = qr.symbol_size(scale=1, border=BORDER)
    scale = max(1, round(TARGET_PIXELS / modules))
    out = io.BytesIO()
    kind = "svg" if fmt == pb.QR_FORMAT_SVG else "png"
    qr.save(out, kind=kind, scale=scale, border=BORDER)
    return pb.GuideQrCode(url=url, media_type=MEDIA_TYPES[fmt], data=out.getvalue())
