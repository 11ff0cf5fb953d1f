"""A picture of one handwritten digit made into what the network reads: a (784, 1) column in
the form of MNIST's digits.

MNIST's digits were size-normalized to fit a 20x20 box keeping their aspect ratio (the
anti-aliasing giving grey levels) and then centred by their centre of mass in a 28x28 field,
light ink on a dark ground.  `read_digit` does the same to any picture Pillow reads (PNG,
JPEG, ...; any size, colour or grey, dark ink on light paper or the reverse):

1. grey levels (a transparent picture is laid over the ground its ink is not);
2. inverted if the paper (the median of the picture's outer ring of pixels) is light;
3. the paper's level subtracted and the ink stretched so that its darkest point is full
   strength; pixels fainter than INK_FLOOR of that count as paper;
4. cropped to the bounding box of the ink;
5. scaled so that its longer side is FIT pixels, keeping the aspect (area-averaged when
   shrinking, as an anti-aliasing scanner would), and stretched to full strength again, so a
   thin pen on a big photo does not fade;
6. pasted into a FIELD x FIELD field so that its centre of mass falls on pixel CENTRE.

A picture is read warily: one declaring more than MAX_PIXELS pixels (a decompression bomb:
a few bytes that claim 50000x50000) is refused before it is decoded; 16-bit, 32-bit and
floating-point pictures (scans) are read by the range their values are stored in; a FIFO or a
pipe (``<(...)``) is read as far as MAX_STREAM_BYTES, waiting STREAM_SECONDS at most.

Pillow comes with the `plot` extra (`fastnet.plot_extra`).
"""

import io
import os
import select
import stat
import time
import warnings
from pathlib import Path

import numpy as np

from .data import IMAGE_SHAPE, N_PIXELS
from .plot_extra import require

FIELD = IMAGE_SHAPE[0]  # the side of MNIST's square field
FIT = 20  # the side of the box the digit is scaled to fit, as MNIST's were
# Where MNIST puts the centre of mass (row and column index): its test digits' centre lies at
# 13.99 +- 0.29 rows and 14.00 +- 0.29 columns, i.e. on pixel 14 after rounding to a whole shift.
CENTRE = 14
# The least difference, in grey levels 0..255, between the paper and the strongest ink for a
# picture to hold a digit at all: JPEG noise and paper texture stay below it, a pencil line on
# white paper is well above.  A lower value reads fainter marks but takes noise for ink.
MIN_CONTRAST = 48
# Ink fainter than this fraction of the strongest counts as paper: it keeps JPEG ripples and
# paper texture out of the bounding box, at the cost of the faintest edge of a stroke.
INK_FLOOR = 0.1
# A larger picture (a phone's photo) is first shrunk to this longer side: the digit ends up
# 20 pixels tall anyway, and it keeps a 12-megapixel photo from costing hundreds of MB.
MAX_SIDE = 1024
# The most pixels a picture may declare (8192 x 8192; a phone's photo has 12 to 50 million):
# decoding it takes up to 4 bytes a pixel.  Below Pillow's own limit, whose warning is not
# one line.
MAX_PIXELS = 2 ** 26
# What a FIFO or a pipe may bring (a picture of one digit is far smaller), and how long it may
# take to start coming.
MAX_STREAM_BYTES = 64 * 2 ** 20
STREAM_SECONDS = 10.0
# The modes of pictures with more than 8 bits a grey level: Pillow's convert("L") would cut
# their values at 255, leaving most pictures blank.
_DEEP_MODES = ("I", "F", "I;16", "I;16L", "I;16B", "I;16N")


def read_digit(source):
    """The ``(784, 1)`` float64 column, pixel bytes / 256 as `load_mnist` gives them, that the
    picture ``source`` (a path, or a PIL.Image) makes when prepared as MNIST's digits were.

    Raises ValueError (one line, naming the file) for a file that is empty, is not a picture
    Pillow can read, declares more than MAX_PIXELS pixels, or holds no ink; OSError when the
    file cannot be read; MissingPlotExtra when Pillow is not installed.
    """
    return digit_field(source).reshape(N_PIXELS, 1) / 256


def digit_field(source):
    """The ``(28, 28)`` uint8 field (ink bright, ground 0) that `read_digit` flattens."""
    Image = require("PIL.Image")
    if isinstance(source, Image.Image):
        image, name = source, "the image"
    else:
        image, name = _open(Path(source), Image), str(source)
    ink = _ink(_grey(image, Image), name)
    return _centred(_fitted(_cropped(ink), Image))


def _open(path, Image):
    info = path.stat()
    if stat.S_ISDIR(info.st_mode):
        raise ValueError(f"{path}: is a directory, not a picture")
    if stat.S_ISREG(info.st_mode):
        if info.st_size == 0:
            raise ValueError(f"{path}: the file is empty")
        source = path
    else:  # a FIFO, a pipe, a device: what comes through it
        source = io.BytesIO(_read_stream(path))
    try:
        with warnings.catch_warnings():
            # Pillow's own limit is a warning below twice it: let it be our one line instead.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(source)
    except Image.UnidentifiedImageError:
        raise ValueError(f"{path}: not a picture (Pillow cannot read this format)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"{path}: declares more than {MAX_PIXELS:,} pixels, more than a "
                         f"picture may have (a decompression bomb?)") from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ValueError(f"{path}: {width} x {height} pixels, more than the {MAX_PIXELS:,} a "
                         f"picture may have (shrink it first)")
    try:
        image.load()
    # Untrusted bytes: whatever the decoder raises, the file is at fault.
    except Exception as e:
        raise ValueError(f"{path}: a damaged picture ({type(e).__name__}: {e})") from None
    return image


def _read_stream(path):
    """The bytes that come through the FIFO, pipe or device ``path`` until its end: at most
    MAX_STREAM_BYTES, the first of them within STREAM_SECONDS (ValueError if not).  Opened
    without blocking, so that a FIFO no one writes into does not hold the other pictures up
    for ever."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    chunks, size = [], 0
    deadline = time.monotonic() + STREAM_SECONDS
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0 and not size:
                raise ValueError(f"{path}: nothing came through it within "
                                 f"{STREAM_SECONDS:g} s (a FIFO no one writes into?)")
            readable, _, _ = select.select([fd], [], [], max(0.0, min(left, 0.1)))
            if not readable:
                continue
            try:
                chunk = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_STREAM_BYTES:
                raise ValueError(f"{path}: more than {MAX_STREAM_BYTES:,} bytes came through "
                                 f"it, more than a picture of a digit takes")
    finally:
        os.close(fd)
    if not size:
        raise ValueError(f"{path}: nothing came through it (a FIFO or pipe closed empty)")
    return b"".join(chunks)


def _grey(image, Image):
    """The picture as float64 grey levels 0..255, upright (by its EXIF orientation), its
    longer side at most MAX_SIDE."""
    from PIL import ImageOps

    image = ImageOps.exif_transpose(image)
    if max(image.size) > MAX_SIDE:
        image = image.copy()
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.BOX)
    if image.mode in _DEEP_MODES:
        return _levels(np.asarray(image, np.float64), image.mode)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba.getchannel("A"), np.float64)
        grey = np.asarray(rgba.convert("L"), np.float64)
        if alpha.sum() > 0:
            # Lay it over the ground its opaque pixels are not: dark ink over white.
            ink_is_dark = np.average(grey, weights=alpha) < 128
            ground = Image.new("RGBA", rgba.size, "white" if ink_is_dark else "black")
            image = Image.alpha_composite(ground, rgba)
    return np.asarray(image.convert("L"), np.float64)


def _levels(values, mode):
    """Grey levels 0..255 from the values of a picture of more than 8 bits a level, read by
    the range they are stored in: 0..65535 for 16-bit pictures; for 32-bit and floating-point
    ones the narrowest of 0..1, 0..255 and 0..65535 that holds them all, else their own range.
    A NaN counts as the range's low end, an infinity as the end it points to."""
    finite = values[np.isfinite(values)]
    if not finite.size:
        return np.zeros(values.shape)
    low, high = float(finite.min()), float(finite.max())
    if mode.startswith("I;16"):
        scale = (0.0, 65535.0)
    else:
        fits = [top for top in ((1.0,) if mode == "F" else ()) + (255.0, 65535.0)
                if low >= 0 and high <= top]
        scale = (0.0, fits[0]) if fits else (low, high)
    values = np.nan_to_num(values, nan=scale[0], posinf=scale[1], neginf=scale[0])
    span = scale[1] - scale[0]
    if span <= 0:
        return np.zeros(values.shape)
    return np.clip((values - scale[0]) * (255 / span), 0, 255)


def _ink(grey, name):
    """Ink strength 0..1 (0 the paper) from grey levels, light ink or dark."""
    ring = np.concatenate([grey[0], grey[-1], grey[1:-1, 0], grey[1:-1, -1]])
    paper = np.median(ring)
    if paper > 127.5:  # light paper, dark ink: turn it into MNIST's light ink on black
        grey, paper = 255 - grey, 255 - paper
    ink = np.clip(grey - paper, 0, None)
    peak = ink.max()
    if peak < MIN_CONTRAST:
        raise ValueError(f"{name}: no ink found (the darkest mark differs from the paper by "
                         f"{peak:.0f} grey levels of 255; at least {MIN_CONTRAST} needed)")
    ink /= peak
    ink[ink < INK_FLOOR] = 0
    return ink


def _cropped(ink):
    rows = np.flatnonzero(ink.any(axis=1))
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _fitted(ink, Image):
    """``ink`` scaled so that its longer side is FIT, keeping the aspect, at full strength."""
    h, w = ink.shape
    scale = FIT / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    small = np.asarray(Image.fromarray(ink.astype(np.float32), "F").resize(size, resample),
                       np.float64)
    small = np.clip(small, 0, None)
    return small / small.max()


def _centred(small):
    """The FIELD x FIELD uint8 field with ``small`` (0..1) pasted so that its centre of mass
    is on pixel CENTRE (as near as a whole shift inside the field allows)."""
    pixels = np.rint(small * 255).astype(np.uint8)
    weights = pixels.astype(np.float64)
    h, w = pixels.shape
    total = weights.sum()
    cy = (weights.sum(axis=1) @ np.arange(h)) / total
    cx = (weights.sum(axis=0) @ np.arange(w)) / total
    top = min(max(round(CENTRE - cy), 0), FIELD - h)
    left = min(max(round(CENTRE - cx), 0), FIELD - w)
    field = np.zeros((FIELD, FIELD), np.uint8)
    field[top:top + h, left:left + w] = pixels
    return field
