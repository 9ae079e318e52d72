"""QR codes the portal shows or prints: a guide's address on a hall notice (catalogue), a booking
code shown at the hall's terminal (appointments)."""

from __future__ import annotations

import io

# About this many pixels a side: large enough to scan from a printed A4 notice or a phone screen,
# small enough to embed.
TARGET_PIXELS = 250
BORDER = 4  # the quiet zone the standard asks for, in modules

PNG, SVG = "image/png", "image/svg+xml"


def render(text: str, media_type: str = PNG) -> bytes:
    """The code for `text` as PNG or SVG (`media_type`)."""
    import segno  # when first drawn: most processes never draw one

    # Level M survives a smudged or partly covered print and keeps a URL at a small version.
    qr = segno.make(text, error="m", micro=False)
    modules, _ = qr.symbol_size(scale=1, border=BORDER)
    scale = max(1, round(TARGET_PIXELS / modules))
    out = io.BytesIO()
    qr.save(out, kind="svg" if media_type == SVG else "png", scale=scale, border=BORDER)
    return out.getvalue()
