"""Turn a frame and the page's corners into a clean, upright page image; encode JPEG and PDF.

Steps, each optional after the first, in the order a scanner operator would want them:

1. **矫正 (perspective):** warp the quadrilateral to a rectangle of the page's real aspect
   ratio: A4 by default (a government form nearly always is), or estimated from the quad
   and the camera's principal point (Zhang & He, "Whiteboard scanning", 2007) for other
   sizes. The output keeps the resolution the camera actually delivered on the page: no
   invented pixels unless a fixed size is asked for.
2. **裁边 (crop):** trim a thin frame, wider where a strip of desk survived the warp
   (found by scanning inward for the first paper-bright row/column).
3. **Deskew:** the page edges are straight now, but the print on them may not be; the
   angle maximising the sharpness of the text-line projection profile (±3°) is undone.
4. **Flatten lighting:** divide by the paper's own brightness (a morphological close removes
   the ink, a blur smooths what is left), so shadows and lamp gradients become white paper.
5. **Document mode** (optional): binarise for the smallest files and the crispest print.

The PDF writer is ~40 lines of bytes: one page, A4 media box, the JPEG embedded unchanged
with ``/DCTDecode`` (no re-encoding, no dependency).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, cast

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "A4_MM",
    "RectifyOptions",
    "aspect_ratios",
    "encode_jpeg",
    "estimate_aspect",
    "flatten_illumination",
    "make_pdf",
    "order_corners",
    "rectify",
    "skew_angle",
]

U8 = npt.NDArray[np.uint8]
F64 = npt.NDArray[np.float64]

A4_MM = (210.0, 297.0)
_A4_PT = (595.276, 841.89)  # 210 x 297 mm in PDF points (1/72 in)
_PREVIEW = 600  # px: the copy where crop, skew and lighting are measured


def _u8(a: Any) -> U8:
    """OpenCV's stubs return ``MatLike``; these calls return 8-bit arrays for 8-bit input."""
    return cast(U8, a)


@dataclass(frozen=True, slots=True)
class RectifyOptions:
    """How to turn the page into an image.

    ``aspect``: ``"a4"``, ``"estimate"`` or a number (short side / long side).
    ``long_side``: output pixels of the long side; ``None`` keeps the camera's resolution
    on the page (capped at ``max_long_side``, A4 at 300 dpi). ``crop``: fraction trimmed
    off every side; ``trim_desk``: also trim strips of desk left along the edges (≤ 3 %).
    """

    aspect: Literal["a4", "estimate"] | float = "a4"
    long_side: int | None = None
    max_long_side: int = 3508
    crop: float = 0.005
    trim_desk: bool = True
    deskew: bool = True
    max_skew_deg: float = 3.0
    flatten: bool = True
    mode: Literal["color", "gray", "document"] = "color"


def rectify(frame: U8, corners: npt.ArrayLike, options: RectifyOptions | None = None) -> U8:
    """The page cut out of ``frame`` (BGR) as an upright image (BGR, or grey in grey modes).

    Only the warp (and a deskew rotation, when the print is tilted) touches every output
    pixel twice; where to crop, the skew and the paper's brightness are measured once on a
    copy ≤ 600 px long, which at 12 MP halves the time and changes the result by < 1 px.
    """
    opts = options or RectifyOptions()
    quad = order_corners(corners)
    page = _warp(frame, quad, _aspect(quad, frame.shape[1], frame.shape[0], opts.aspect), opts)
    small = _shrunk(page, _PREVIEW)
    page, small = _crop(page, small, opts.crop, opts.trim_desk)
    if opts.deskew:
        page, small = _deskew(page, small, opts.max_skew_deg)
    if opts.mode != "color" and page.ndim == 3:
        page, small = (_u8(cv2.cvtColor(a, cv2.COLOR_BGR2GRAY)) for a in (page, small))
    if opts.flatten or opts.mode == "document":
        page = flatten_illumination(page, small)
    if opts.mode == "document":
        page = _binarise(page)
    return page


def _shrunk(page: U8, long_side: int) -> U8:
    """``page`` area-averaged to at most ``long_side`` px on its long side: by an integer
    factor first (OpenCV's fast path; a fractional one is 3x slower at 12 MP), dropping
    the < factor rows and columns left over at the bottom and right."""
    h, w = page.shape[:2]
    factor = max(h, w) // long_side
    if factor >= 2:
        h, w = h // factor * factor, w // factor * factor
        size = (w // factor, h // factor)
        page = _u8(cv2.resize(page[:h, :w], size, interpolation=cv2.INTER_AREA))
    scale = min(1.0, long_side / max(page.shape[:2]))
    if scale >= 1.0:
        return page
    return _u8(cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA))


def _grey(page: U8) -> U8:
    return _u8(cv2.cvtColor(page, cv2.COLOR_BGR2GRAY)) if page.ndim == 3 else page


# --- quad geometry (page_detect uses these too) -------------------------------------------


def order_corners(quad: npt.ArrayLike) -> F64:
    """Order four points TL, TR, BR, BL: clockwise (y down), top edge the most horizontal.

    Pages lie within ±45° of upright, so the side whose direction is closest to "rightwards"
    is the top edge; its start is TL. Sorting by x+y (the usual trick) breaks at ~30°.
    """
    pts = np.asarray(quad, np.float64).reshape(4, 2)
    c = pts.mean(axis=0)
    pts = pts[np.argsort(np.arctan2(pts[:, 1] - c[1], pts[:, 0] - c[0]))]  # clockwise, y down
    edges = np.roll(pts, -1, axis=0) - pts
    cos = edges[:, 0] / np.maximum(np.hypot(edges[:, 0], edges[:, 1]), 1e-9)
    return np.roll(pts, -int(np.argmax(cos)), axis=0)


def aspect_ratios(corners: F64, centre: F64, size: int) -> F64:
    """Width/height of the real rectangle imaged as each quad (Q, 4, 2), cyclic from TL.

    Zhang & He's closed form ("Whiteboard scanning and image enhancement", 2007) for a
    camera with square pixels and its principal point at ``centre`` (the frame centre of
    any real lens, near enough), so an A4 page seen at a slant near the edge of a wide lens
    still measures as A4. Where the focal length is unobservable (nearly parallel sides: it
    comes out huge or negative) or implausible for a ``size``-pixel frame, the ratio of the
    mean side lengths, which is exact in that affine limit.
    """
    e = np.roll(corners, -1, axis=1) - corners
    length = np.hypot(e[..., 0], e[..., 1])
    naive = (length[:, 0] + length[:, 2]) / np.maximum(length[:, 1] + length[:, 3], 1e-9)
    m = np.concatenate([corners - centre, np.ones((*corners.shape[:2], 1))], axis=2)
    m1, m2, m4, m3 = m[:, 0], m[:, 1], m[:, 2], m[:, 3]

    def triple(a: F64, b: F64, c: F64) -> F64:
        return np.einsum("ij,ij->i", np.cross(a, b), c)  # type: ignore[no-any-return]

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k2 = triple(m1, m4, m3) / triple(m2, m4, m3)
        k3 = triple(m1, m4, m2) / triple(m3, m4, m2)
        n2, n3 = k2[:, None] * m2 - m1, k3[:, None] * m3 - m1
        f2 = -(n2[:, 0] * n3[:, 0] + n2[:, 1] * n3[:, 1]) / (n2[:, 2] * n3[:, 2])
        num = (n2[:, 0] ** 2 + n2[:, 1] ** 2) / f2 + n2[:, 2] ** 2
        den = (n3[:, 0] ** 2 + n3[:, 1] ** 2) / f2 + n3[:, 2] ** 2
        ratio = np.sqrt(num / den)
        # lenses of document cameras and webcams: focal length 0.3-4 frame widths
        plausible = (f2 > (0.3 * size) ** 2) & (f2 < (4.0 * size) ** 2)
        ok = np.isfinite(ratio) & plausible & (ratio > 0.25) & (ratio < 4)
        return np.where(ok, ratio, naive)  # type: ignore[no-any-return]


# --- 矫正 ---------------------------------------------------------------------------------------


def _side_lengths(quad: F64) -> tuple[float, float]:
    """Mean width (top, bottom) and mean height (left, right) of a TL, TR, BR, BL quad."""
    d = np.linalg.norm(np.roll(quad, -1, axis=0) - quad, axis=1)
    return float(d[0] + d[2]) / 2, float(d[1] + d[3]) / 2


def estimate_aspect(corners: npt.ArrayLike, width: int, height: int) -> float:
    """Width/height of the real rectangle imaged as ``corners`` in a ``width × height`` frame.

    Zhang & He's closed form (see :func:`aspect_ratios`),
    falling back to the ratio of the mean side lengths when the perspective is too weak.
    """
    quad = order_corners(corners)
    centre = np.array([(width - 1) / 2, (height - 1) / 2])
    return float(aspect_ratios(quad[None], centre, max(width, height))[0])


def _aspect(quad: F64, width: int, height: int, wanted: str | float) -> float:
    """Output width/height: the named or given ratio, turned to match the quad's orientation."""
    w_img, h_img = _side_lengths(quad)
    if wanted == "estimate":
        return estimate_aspect(quad, width, height)
    short_over_long = A4_MM[0] / A4_MM[1] if wanted == "a4" else float(wanted)
    short_over_long = min(short_over_long, 1 / short_over_long)
    return 1 / short_over_long if w_img > h_img else short_over_long


def _warp(frame: U8, quad: F64, aspect: float, opts: RectifyOptions) -> U8:
    w_img, h_img = _side_lengths(quad)
    long_side = opts.long_side or round(max(w_img, h_img))
    long_side = int(np.clip(long_side, 16, opts.max_long_side))
    if aspect >= 1:
        out_w, out_h = long_side, max(1, round(long_side / aspect))
    else:
        out_w, out_h = max(1, round(long_side * aspect)), long_side
    dst = np.array(
        [[-0.5, -0.5], [out_w - 0.5, -0.5], [out_w - 0.5, out_h - 0.5], [-0.5, out_h - 0.5]],
        np.float32,
    )
    hom = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return _u8(
        cv2.warpPerspective(
            frame, hom, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        )
    )


# --- 裁边 and deskew -------------------------------------------------------------------------


def _crop(page: U8, small: U8, margin: float, trim_desk: bool) -> tuple[U8, U8]:
    """Trim ``margin`` of each side, more where a dark (or bright) strip of desk is left;
    the strips are found on ``small`` (a shrunk copy of ``page``), which is cropped alike."""
    h, w = page.shape[:2]
    cuts = _desk_strips(_grey(small)) if trim_desk else np.zeros(4)
    sh, sw = small.shape[:2]
    frac = cuts / np.array([sh, sh, sw, sw])  # top, bottom, left, right as fractions
    full = np.ceil(frac * [h, h, w, w]) + np.floor(margin * np.array([h, h, w, w]))
    part = np.floor(frac * [sh, sh, sw, sw]) + np.round(margin * np.array([sh, sh, sw, sw]))
    top, bottom, left, right = (int(v) for v in full)
    if top + bottom >= h - 8 or left + right >= w - 8:
        return page, small
    st, sb, sl, sr = (int(v) for v in part)
    return page[top : h - bottom, left : w - right], small[st : sh - sb, sl : sw - sr]


def _desk_strips(grey: U8) -> F64:
    """Rows (top, bottom) and columns (left, right) of desk left along each edge (≤ 3 %)."""
    h, w = grey.shape[:2]
    g = grey.astype(np.float32)
    paper = float(np.median(g[h // 4 : 3 * h // 4, w // 4 : 3 * w // 4]))
    limit_y, limit_x = max(1, int(0.03 * h)), max(1, int(0.03 * w))
    cuts = []
    for profile, limit in (
        (np.median(g[:limit_y], axis=1), limit_y),
        (np.median(g[h - limit_y :], axis=1)[::-1], limit_y),
        (np.median(g[:, :limit_x], axis=0), limit_x),
        (np.median(g[:, w - limit_x :], axis=0)[::-1], limit_x),
    ):
        off = np.abs(profile - paper) > 0.25 * max(paper, 1.0)
        cuts.append(int(np.argmin(off)) if not off.all() else limit)
    return np.array(cuts, np.float64)


def _deskew(page: U8, small: U8, max_deg: float) -> tuple[U8, U8]:
    angle = _skew_of(_grey(small), max_deg)
    if abs(angle) < 0.15:
        return page, small
    return _rotate(page, angle), _rotate(small, angle)


def _rotate(img: U8, angle: float) -> U8:
    h, w = img.shape[:2]
    rot = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), angle, 1.0)
    return _u8(
        cv2.warpAffine(img, rot, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    )


def skew_angle(page: U8, max_deg: float = 3.0) -> float:
    """Degrees to rotate ``page`` (counter-clockwise, OpenCV's sense) to level its text lines.

    Ink pixels (Otsu on a 600 px copy) are projected onto the vertical axis at angles 0.5°
    apart, then 0.1° apart around the best; level lines of text give the spikiest histogram
    (largest sum of squares).
    """
    return _skew_of(_grey(_shrunk(page, _PREVIEW)), max_deg)


def _skew_of(small: U8, max_deg: float) -> float:
    """:func:`skew_angle` of a grey copy already ≤ 600 px long."""
    _, ink = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    ys, xs = np.nonzero(ink)
    if len(xs) < 200 or len(xs) > 0.5 * ink.size:
        return 0.0
    if len(xs) > 12000:
        pick = np.random.default_rng(0).choice(len(xs), 12000, replace=False)
        xs, ys = xs[pick], ys[pick]
    xs = xs - small.shape[1] / 2

    def sharpness(deg: float) -> float:
        t = np.radians(deg)
        hist = np.bincount(np.clip(ys * np.cos(t) + xs * np.sin(t), 0, None).astype(np.intp))
        return float(np.dot(hist, hist))

    coarse = np.arange(-max_deg, max_deg + 1e-9, 0.5)
    best = float(coarse[int(np.argmax([sharpness(a) for a in coarse]))])
    fine = np.arange(best - 0.4, best + 0.41, 0.1)
    best = float(fine[int(np.argmax([sharpness(a) for a in fine]))])
    return round(-best, 2) + 0.0  # lines run at +best° (y down): turn them back (no -0.0)


# --- lighting and document mode ----------------------------------------------------------------


def flatten_illumination(page: U8, small: U8 | None = None) -> U8:
    """Divide out the paper's brightness field so blank paper is uniformly near-white.

    The field is estimated at ≤ 400 px (from ``small``, a shrunk copy of ``page``, when
    given): a close (dilate, then erode) wider than any stroke replaces ink by the
    surrounding paper, a light blur removes its blockiness (a heavy one would smear the edge
    of a cast shadow into a visible band); per channel, so a warm lamp is white-balanced at
    the same time.
    """
    h, w = page.shape[:2]
    small = _shrunk(page if small is None else small, 400)
    k = max(3, int(max(small.shape[:2]) / 40) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.GaussianBlur(paper, (0, 0), max(1.0, k / 4))  # keeps shadow edges sharp
    paper = cv2.resize(np.maximum(paper, 1), (w, h), interpolation=cv2.INTER_LINEAR)  # ≥ 1 still
    return _u8(cv2.divide(page, paper, scale=245.0))


def _binarise(grey: U8) -> U8:
    """Black ink on white: a threshold well below the flattened paper level (~245)."""
    blur = cv2.GaussianBlur(grey, (3, 3), 0)
    level, _ = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    level = min(level, 200.0)
    return np.where(blur > level, 255, 0).astype(np.uint8)


# --- encoding ---------------------------------------------------------------------------------


def encode_jpeg(image: U8, quality: int = 85) -> bytes:
    """Baseline JPEG (what PDF ``/DCTDecode`` and every viewer accept)."""
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(np.clip(quality, 1, 100))])
    if not ok:
        raise ValueError("OpenCV could not encode the page as JPEG")
    return buf.tobytes()


def make_pdf(
    jpeg: bytes, width: int, height: int, *, grey: bool = False, title: str = "scan"
) -> bytes:
    """A one-page PDF 1.4 showing ``jpeg`` (``width`` × ``height`` px) fitted on A4.

    The page is A4 portrait or landscape to match the image; the image is centred and
    scaled to fit, keeping its aspect ratio. The xref table is byte-exact (each entry 20
    bytes), so strict readers accept it without a repair pass.
    """
    page_w, page_h = _A4_PT if height >= width else _A4_PT[::-1]
    fit = min(page_w / width, page_h / height)
    draw_w, draw_h = width * fit, height * fit
    x0, y0 = (page_w - draw_w) / 2, (page_h - draw_h) / 2
    content = f"q {draw_w:.3f} 0 0 {draw_h:.3f} {x0:.3f} {y0:.3f} cm /Im0 Do Q\n".encode()
    safe_title = title.encode("ascii", "replace").replace(b"\\", b"\\\\")
    safe_title = safe_title.replace(b"(", b"\\(").replace(b")", b"\\)")
    colour = b"/DeviceGray" if grey else b"/DeviceRGB"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.3f %.3f] "
        b"/Resources << /XObject << /Im0 4 0 R >> /ProcSet [/PDF /ImageC /ImageB] >> "
        b"/Contents 5 0 R >>" % (page_w, page_h),
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s "
        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n%s\nendstream"
        % (width, height, colour, len(jpeg), jpeg),
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Title (%s) /Producer (kfleet) >>" % safe_title,
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)
