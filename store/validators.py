from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.images import get_image_dimensions

MAX_IMAGE_SIZE_KB = 500


def validate_file_size(file):
    if file.size > MAX_IMAGE_SIZE_KB * 1024:
        raise ValidationError(f'Files cannot be larger than {MAX_IMAGE_SIZE_KB}KB!')


def validate_image_pixels(file):
    """Refuse a decompression bomb: a few KB of PNG can decode to gigabytes, so the header's dimensions
    are capped (MAX_IMAGE_PIXELS), whatever the file's size."""
    width, height = get_image_dimensions(file)
    # No dimensions: not an image, which the ImageField itself refuses.
    if width and height and width * height > settings.MAX_IMAGE_PIXELS:
        raise ValidationError(f'Images cannot have more than {settings.MAX_IMAGE_PIXELS} pixels!')
