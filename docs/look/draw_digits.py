"""Draw the ten example pictures in docs/look/digits/, as a person drawing digits with a mouse
in a paint program might: a thick pen, dark ink on white, big and off-centre, some saved as
JPEG.  Run from the repository root: python docs/look/draw_digits.py (needs Pillow)."""

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

# Each digit's strokes, as polylines in a 100 x 140 box (x right, y down).
STROKES = {
    0: [[(50, 10), (25, 25), (15, 70), (25, 115), (50, 130), (75, 115), (85, 70), (75, 25),
         (50, 10)]],
    1: [[(35, 35), (60, 10), (58, 130)]],
    2: [[(15, 40), (30, 15), (60, 10), (82, 30), (75, 65), (15, 128), (90, 125)]],
    3: [[(15, 25), (45, 8), (80, 25), (70, 60), (40, 68)], [(40, 68), (82, 85), (80, 118),
                                                           (45, 132), (12, 115)]],
    4: [[(60, 10), (10, 90), (90, 88)], [(65, 50), (62, 132)]],
    5: [[(85, 10), (25, 12), (20, 62), (55, 55), (85, 80), (80, 115), (50, 130), (15, 118)]],
    6: [[(75, 12), (40, 30), (18, 80), (30, 122), (60, 128), (82, 100), (70, 72), (40, 70),
         (20, 90)]],
    7: [[(10, 15), (90, 12), (45, 132)], [(35, 70), (75, 70)]],
    8: [[(50, 70), (20, 40), (50, 10), (80, 40), (50, 70), (15, 100), (50, 130), (85, 100),
         (50, 70)]],
    9: [[(82, 45), (50, 65), (20, 45), (45, 12), (80, 25), (82, 45), (75, 95), (60, 132)]],
}


def main():
    rng = np.random.default_rng(13)
    out = Path(__file__).parent / "digits"
    out.mkdir(exist_ok=True)
    for digit, strokes in STROKES.items():
        scale = rng.uniform(1.5, 3.0)
        sheet = Image.new("RGB", (int(rng.integers(360, 480)), int(rng.integers(420, 560))),
                          (248, 246, 240))
        left, top = rng.uniform(10, sheet.width - 100 * scale), rng.uniform(10, sheet.height
                                                                            - 140 * scale)
        pen = ImageDraw.Draw(sheet)
        for stroke in strokes:
            jitter = rng.normal(0, 3, (len(stroke), 2))
            points = [(left + scale * (x + dx), top + scale * (y + dy))
                      for (x, y), (dx, dy) in zip(stroke, jitter)]
            pen.line(points, fill=(20, 20, 70), width=int(14 * scale), joint="curve")
        name = out / f"{digit}.{'jpg' if digit % 2 else 'png'}"
        sheet.save(name, **({"quality": 80} if digit % 2 else {}))
        print(name)


if __name__ == "__main__":
    main()
