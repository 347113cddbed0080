"""The demo product pictures of `seed_db`: small generated PNGs, the same bytes for the same product.

(The leading underscore keeps Django from taking this module for a management command.)

A picture is a 160x160 palette PNG of 2 to 3 KB: a shape (circle, rounded square, hexagon or
diamond) on a light background, the product's initials on the shape and its collection's name under
it. The collection sets the hue, the slug varies hue, lightness and shape, so products of one
collection look related and neighbours still differ. Every choice comes from a SHA-256 of the
product's collection, slug and title (never from `random` or `hash()`, which is salted per process),
so a given Pillow build always renders the same bytes for the same product.

It is drawn as a greyscale mask (0 = background colour, 255 = shape colour, anti-aliased edges in
between) that becomes a palette image by mapping those 256 levels onto the blend of the two colours:
the same picture as drawing in RGB, for a third of the PNG encoding time.
"""
import colorsys
import hashlib
import io
from functools import cache

from PIL import Image, ImageDraw, ImageFont

SIZE = 160
FORMAT = 'PNG'
EXTENSION = 'png'
NAME_PREFIX = 'seed-'


@cache
def _fonts():
    # Pillow's own font: no font file needed. With FreeType it scales; without, `size` is ignored and
    # the small bitmap font is used (hence text centred by its bounding box, not by `anchor`).
    return ImageFont.load_default(size=56), ImageFont.load_default(size=14)


def file_name(slug):
    """The picture's file name, before the image field's upload_to: 'seed-<slug>.png'."""
    return f'{NAME_PREFIX}{slug}.{EXTENSION}'


def initials(title):
    """'Bloom & Co Matte Lipstick' -> 'BC': the first letters of the first two words that have one."""
    return ''.join(word[0] for word in title.split() if word[0].isalnum())[:2].upper()


def _rgb(hue, lightness, saturation):
    return tuple(round(channel * 255) for channel in colorsys.hls_to_rgb(hue % 1, lightness, saturation))


def _centred_text(draw, centre, text, font, fill):
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text((centre[0] - (left + right) / 2, centre[1] - (top + bottom) / 2), text, font=font, fill=fill)


def render(slug, title, collection):
    """The PNG bytes of the demo picture of this product."""
    digest = hashlib.sha256(f'{collection}\0{slug}\0{title}'.encode()).digest()
    collection_hue = int.from_bytes(hashlib.sha256(collection.encode()).digest()[:4], 'big') % 360 / 360
    hue = collection_hue + (digest[0] / 255 - 0.5) * 0.12
    background = _rgb(hue, 0.80 + digest[1] / 255 * 0.08, 0.55)
    foreground = _rgb(hue, 0.36 + digest[2] / 255 * 0.10, 0.60)

    mask = Image.new('L', (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(mask)
    centre = (SIZE // 2, SIZE * 9 // 20)
    radius = SIZE * 7 // 20
    shape = digest[3] % 4
    if shape == 0:
        draw.ellipse((centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius), fill=255)
    elif shape == 1:
        draw.rounded_rectangle((centre[0] - radius, centre[1] - radius, centre[0] + radius, centre[1] + radius),
                               radius=SIZE // 8, fill=255)
    elif shape == 2:
        draw.regular_polygon((*centre, radius * 1.08), 6, rotation=digest[4] % 60, fill=255)
    else:
        draw.regular_polygon((*centre, radius * 1.12), 4, rotation=45, fill=255)
    big, small = _fonts()
    _centred_text(draw, centre, initials(title), big, fill=0)
    _centred_text(draw, (SIZE // 2, SIZE * 183 // 200), collection.upper(), small, fill=255)

    # Palette entry i = background + (foreground - background) * i / 255, computed by Pillow.
    level = Image.frombytes('L', (256, 1), bytes(range(256)))
    palette = Image.composite(Image.new('RGB', (256, 1), foreground), Image.new('RGB', (256, 1), background), level)
    mask.putpalette(palette.tobytes())
    buffer = io.BytesIO()
    # zlib level 3: half the encoding time of the default 6 for 10 % more bytes (2.3 KB instead of 2.1).
    mask.save(buffer, format=FORMAT, compress_level=3)
    return buffer.getvalue()
