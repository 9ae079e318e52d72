"""QR codes for guide pages: printed on hall notices and leaflets, they open the guide on a phone."""

from __future__ import annotations

from govhall.kit import qr
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

MEDIA_TYPES: dict[int, str] = {pb.QR_FORMAT_PNG: qr.PNG, pb.QR_FORMAT_SVG: qr.SVG}


def guide_url(template: str, site_code: str, code: str) -> str:
    return template.format(site_code=site_code, code=code)


def render(url: str, fmt: int) -> pb.GuideQrCode:
    """The code for url as PNG (the default) or SVG."""
    media_type = MEDIA_TYPES[fmt or pb.QR_FORMAT_PNG]
    return pb.GuideQrCode(url=url, media_type=media_type, data=qr.render(url, media_type))
