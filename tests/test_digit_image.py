"""fastnet.read_digit: any picture of a digit made into an MNIST-style (784, 1) column."""

import numpy as np
import pytest

import fastnet
from fastnet import digit_image

from conftest import redraw

Image = pytest.importorskip("PIL.Image")


def _field(X, i):
    return np.ascontiguousarray(X[:, i].reshape(28, 28))


def _centre_of_mass(field):
    w = field.astype(np.float64)
    r = np.arange(28)
    return (w.sum(axis=1) @ r) / w.sum(), (w.sum(axis=0) @ r) / w.sum()


def test_an_mnist_digit_comes_back_as_it_was(mnist_uint8):
    """MNIST's own digits are already prepared: reading them again changes little."""
    _, _, (X, _) = mnist_uint8
    differences = [np.abs(digit_image.digit_field(Image.fromarray(_field(X, i))).astype(int)
                          - _field(X, i)).mean() for i in range(100)]
    assert np.median(differences) < 0.5  # grey levels of 255, per pixel
    assert max(differences) < 30


def test_the_column_is_mnist_shaped(tmp_path, mnist_uint8):
    _, _, (X, _) = mnist_uint8
    path = redraw(_field(X, 0), tmp_path / "seven.png", np.random.default_rng(1))
    column = fastnet.read_digit(path)
    assert column.shape == (784, 1) and column.dtype == np.float64
    pixels = column[:, 0] * 256
    np.testing.assert_array_equal(pixels, np.rint(pixels))  # bytes / 256, as load_mnist's
    assert pixels.max() == 255 and pixels.min() == 0
    field = pixels.reshape(28, 28)
    rows, cols = np.flatnonzero(field.any(axis=1)), np.flatnonzero(field.any(axis=0))
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 == digit_image.FIT
    cy, cx = _centre_of_mass(field)
    assert abs(cy - digit_image.CENTRE) <= 0.5 and abs(cx - digit_image.CENTRE) <= 0.5
    np.testing.assert_array_equal(fastnet.read_digit(Image.open(path)), column)


def test_redrawn_digits_look_like_the_originals(tmp_path, mnist_uint8):
    """Enlarged, dark ink on light paper, off-centre, in colour, half as JPEG."""
    _, _, (X, _) = mnist_uint8
    rng = np.random.default_rng(2)
    correlations = []
    for i in range(40):
        path = redraw(_field(X, i), tmp_path / f"{i}.{'jpg' if i % 2 else 'png'}", rng)
        correlations.append(np.corrcoef(fastnet.read_digit(path)[:, 0], X[:, i])[0, 1])
    # A one-pixel difference in the centring costs a thin digit much of its correlation.
    assert np.median(correlations) > 0.95 and min(correlations) > 0.6


def test_light_ink_on_dark_and_a_tall_thin_digit(tmp_path):
    sheet = np.zeros((300, 200), np.uint8)
    sheet[50:250, 90:110] = 255  # a "1": white chalk on a blackboard, 10 times taller than wide
    Image.fromarray(sheet).save(tmp_path / "one.png")
    field = digit_image.digit_field(tmp_path / "one.png")
    rows, cols = np.flatnonzero(field.any(axis=1)), np.flatnonzero(field.any(axis=0))
    assert rows[-1] - rows[0] + 1 == 20 and cols[-1] - cols[0] + 1 == 2  # the aspect kept
    assert field.max() == 255


def test_a_transparent_picture_reads_like_one_on_paper(tmp_path, mnist_uint8):
    _, _, (X, _) = mnist_uint8
    ink = Image.fromarray(_field(X, 3)).resize((112, 112))
    on_paper = Image.merge("RGB", [Image.eval(ink, lambda v: 255 - v)] * 3)
    transparent = Image.merge("RGBA", [Image.new("L", ink.size, 0)] * 3 + [ink])  # black ink
    np.testing.assert_array_equal(fastnet.read_digit(transparent),
                                  fastnet.read_digit(on_paper))


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b""), "the file is empty"),
    (lambda p: p.write_text("not a picture at all"), "not a picture"),
    (lambda p: Image.new("RGB", (60, 40), "white").save(p), "no ink found"),
    (lambda p: Image.new("L", (60, 40), 200).save(p), "no ink found"),
    (lambda p: _faint(p), "no ink found"),
    (lambda p: p.write_bytes(_png_bytes()[:60]), "damaged picture"),
    (lambda p: p.mkdir(), "is a directory"),
])
def test_what_is_not_a_digit_is_a_one_line_value_error(tmp_path, make, message):
    path = tmp_path / "digit.png"
    make(path)
    with pytest.raises(ValueError, match=message) as e:
        fastnet.read_digit(path)
    assert str(e.value).startswith(f"{path}: ") and "\n" not in str(e.value)


def test_a_missing_file_is_an_os_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        fastnet.read_digit(tmp_path / "absent.png")


def _faint(path):
    """A mark too faint to be ink: a few grey levels off the paper, as JPEG noise is."""
    sheet = np.full((50, 50), 240, np.uint8)
    sheet[10:40, 20:25] = 240 - digit_image.MIN_CONTRAST + 1
    Image.fromarray(sheet).save(path)


def _png_bytes():
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.arange(64 * 64, dtype=np.uint32).reshape(64, 64).astype(np.uint8)).save(
        buffer, format="png")
    return buffer.getvalue()
