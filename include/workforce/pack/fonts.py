"""The pack's typeface, embedded in the page: no font is fetched, none is assumed installed.

DejaVu Sans (regular and bold), the font matplotlib ships with (``mpl-data/fonts/ttf``, free
licence in ``LICENSE_DEJAVU`` beside it), so the charts' text and the page's text are one face and
are measured alike. Each file is cut down with fontTools (a matplotlib dependency) to the
characters a pack uses (Latin-1, punctuation, currency and arithmetic signs) and embedded as a
base64 WOFF ``@font-face`` rule: about 30 KB each instead of 700 KB.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

FAMILY = "DejaVu Sans"
#: Basic Latin, Latin-1, general punctuation (dashes, quotes, bullet, ellipsis), GBP/EUR, arrows,
#: minus, multiplication and comparison signs.
UNICODES = (
    list(range(0x20, 0x7F))
    + list(range(0xA0, 0x180))
    + list(range(0x2010, 0x2027))
    + [0x20AC, 0x2190, 0x2191, 0x2192, 0x2193, 0x2212, 0x2264, 0x2265, 0x2248, 0x25B2, 0x25BC, 0x25CF, 0x25A0]
)


def font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def _woff_base64(filename: str) -> str:
    import logging

    from fontTools import subset

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset": a timestamp table, dropped
    options = subset.Options()
    options.flavor = "woff"
    options.layout_features = ["kern", "liga"]
    options.name_IDs = ["*"]  # keep the names (and so the licence notice)
    font = subset.load_font(str(font_dir() / filename), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=UNICODES)
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def font_face_css() -> str:
    """``@font-face`` rules for the regular and bold face, the fonts inline as data."""
    rules = []
    for filename, weight in (("DejaVuSans.ttf", "normal"), ("DejaVuSans-Bold.ttf", "bold")):
        rules.append(
            f"@font-face {{ font-family: '{FAMILY}'; font-style: normal; font-weight: {weight}; "
            f"src: url(data:font/woff;base64,{_woff_base64(filename)}) format('woff'); }}"
        )
    return "\n".join(rules)
