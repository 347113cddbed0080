"""API tests for /store/products/{product_pk}/images/: anyone reads, only staff upload, replace or delete."""
import io
import os
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from model_bakery import baker
from PIL import Image
from rest_framework import status

from store.models import Product, ProductImage

# Parent-product lookup + the images, whatever the number of images.
IMAGE_LIST_MAX_QUERIES = 2

MAX_IMAGE_BYTES = 500 * 1024
INVALID_IMAGE_MESSAGE = 'Upload a valid image. The file you uploaded was either not an image or a corrupted image.'
UNKNOWN_PRODUCT_PKS = ['99999', 'abc', '99999999999999999999999']


def image_file(name='x.png', size=(8, 8), image_format='PNG'):
    buffer = io.BytesIO()
    Image.new('RGB', size, color=(200, 30, 30)).save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f'image/{image_format.lower()}')


def noise_png(name='big.png', side=500):
    """A PNG of random pixels: incompressible, so its size on disk really is about side*side*3 bytes."""
    buffer = io.BytesIO()
    Image.frombytes('RGB', (side, side), os.urandom(side * side * 3)).save(buffer, format='PNG')
    return SimpleUploadedFile(name, buffer.getvalue(), content_type='image/png')


def make_product(**fields):
    return baker.make(Product, unit_price=Decimal('10.00'), inventory=50, **fields)


def make_image(product, name='x.png'):
    return ProductImage.objects.create(product=product, image=image_file(name))


def images_url(product_pk):
    return f'/store/products/{product_pk}/images/'


def image_url(product_pk, image_pk):
    return f'/store/products/{product_pk}/images/{image_pk}/'


def absolute_media_url(name, extension='png'):
    """http://testserver/media/store/images/<name>.png, allowing the suffix Django adds to a taken name."""
    return re.compile(rf'http://testserver/media/store/images/{name}(_\w+)?\.{extension}')


@pytest.fixture
def product(db):
    return make_product()


@pytest.fixture
def product_image(product):
    return make_image(product)


@pytest.mark.django_db
class TestListProductImages:
    def test_anonymous_gets_a_plain_array_of_the_products_images(self, api_client, product):
        first, second = make_image(product, 'a.png'), make_image(product, 'b.png')

        response = api_client.get(images_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert [item['id'] for item in response.json()] == [first.pk, second.pk]

    def test_image_is_an_absolute_media_url(self, api_client, product_image):
        response = api_client.get(images_url(product_image.product_id))

        [item] = response.json()
        assert set(item) == {'id', 'image'}
        assert absolute_media_url('x').fullmatch(item['image'])

    def test_only_lists_images_of_the_product_in_the_url(self, api_client, product):
        own = make_image(product)
        make_image(make_product())

        response = api_client.get(images_url(product.pk))

        assert [item['id'] for item in response.json()] == [own.pk]

    def test_product_without_images_gives_an_empty_array(self, api_client, product):
        response = api_client.get(images_url(product.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json() == []

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_returns_404(self, api_client, product_pk):
        response = api_client.get(images_url(product_pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    @pytest.mark.parametrize('count', [1, 20])
    def test_query_count_does_not_grow_with_images(self, api_client, product, count,
                                                   django_assert_max_num_queries):
        baker.make(ProductImage, product=product, image='store/images/x.png', _quantity=count)

        with django_assert_max_num_queries(IMAGE_LIST_MAX_QUERIES):
            response = api_client.get(images_url(product.pk))

        assert len(response.json()) == count


@pytest.mark.django_db
class TestRetrieveProductImage:
    def test_anonymous_gets_the_image(self, api_client, product_image):
        response = api_client.get(image_url(product_image.product_id, product_image.pk))

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['id'] == product_image.pk
        assert absolute_media_url('x').fullmatch(response.json()['image'])

    def test_unknown_image_returns_404(self, api_client, product):
        response = api_client.get(image_url(product.pk, 99999))

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_image_of_another_product_returns_404(self, api_client, product_image):
        response = api_client.get(image_url(make_product().pk, product_image.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.django_db
class TestUploadProductImage:
    def test_anonymous_returns_401(self, api_client, product):
        response = api_client.post(images_url(product.pk), {'image': image_file()}, format='multipart')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert not ProductImage.objects.exists()

    def test_non_staff_returns_403(self, api_client, authenticate, product):
        authenticate(is_staff=False)

        response = api_client.post(images_url(product.pk), {'image': image_file()}, format='multipart')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert not ProductImage.objects.exists()

    def test_staff_uploads_an_image(self, api_client, staff, product):
        response = api_client.post(images_url(product.pk), {'image': image_file('upload.png')}, format='multipart')

        assert response.status_code == status.HTTP_201_CREATED
        image = ProductImage.objects.get()
        assert response.json()['id'] == image.pk
        assert absolute_media_url('upload').fullmatch(response.json()['image'])

    def test_image_belongs_to_the_product_in_the_url(self, api_client, staff, product):
        other = make_product()

        api_client.post(images_url(product.pk), {'image': image_file(), 'product': other.pk}, format='multipart')

        assert ProductImage.objects.get().product_id == product.pk

    def test_file_is_stored_under_media_store_images(self, api_client, staff, product, settings):
        api_client.post(images_url(product.pk), {'image': image_file('stored.png')}, format='multipart')

        image = ProductImage.objects.get()
        assert image.image.name.startswith('store/images/stored')
        assert os.path.isfile(os.path.join(settings.MEDIA_ROOT, image.image.name))

    def test_jpeg_is_accepted(self, api_client, staff, product):
        response = api_client.post(images_url(product.pk), {'image': image_file('photo.jpg', image_format='JPEG')},
                                   format='multipart')

        assert response.status_code == status.HTTP_201_CREATED
        assert absolute_media_url('photo', 'jpg').fullmatch(response.json()['image'])

    def test_image_of_at_most_500kb_is_accepted(self, api_client, staff, product):
        upload = noise_png(side=400)
        assert upload.size <= MAX_IMAGE_BYTES

        response = api_client.post(images_url(product.pk), {'image': upload}, format='multipart')

        assert response.status_code == status.HTTP_201_CREATED

    def test_image_larger_than_500kb_returns_400(self, api_client, staff, product):
        upload = noise_png(side=500)
        assert upload.size > MAX_IMAGE_BYTES

        response = api_client.post(images_url(product.pk), {'image': upload}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': ['Files cannot be larger than 500KB!']}
        assert not ProductImage.objects.exists()

    # Pillow warns as it opens the image to verify it (above its own 89 Mpx); our cap refuses it after.
    @pytest.mark.filterwarnings('ignore::PIL.Image.DecompressionBombWarning')
    def test_a_12000_by_12000_png_of_a_few_kb_is_refused(self, api_client, staff, product):
        # A decompression bomb: 144 million pixels (432 MB decoded as RGB) in about 17 KB.
        buffer = io.BytesIO()
        Image.new('1', (12000, 12000)).save(buffer, format='PNG')
        upload = SimpleUploadedFile('bomb.png', buffer.getvalue(), content_type='image/png')
        assert upload.size < 50 * 1024

        response = api_client.post(images_url(product.pk), {'image': upload}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': ['Images cannot have more than 25000000 pixels!']}
        assert not ProductImage.objects.exists()

    def test_the_pixel_cap_is_max_image_pixels(self, api_client, staff, product, settings):
        settings.MAX_IMAGE_PIXELS = 100

        at_the_cap = api_client.post(images_url(product.pk), {'image': image_file(size=(10, 10))}, format='multipart')
        over_it = api_client.post(images_url(product.pk), {'image': image_file(size=(11, 10))}, format='multipart')

        assert at_the_cap.status_code == status.HTTP_201_CREATED
        assert over_it.status_code == status.HTTP_400_BAD_REQUEST
        assert over_it.json() == {'image': ['Images cannot have more than 100 pixels!']}

    def test_text_named_png_returns_400(self, api_client, staff, product):
        upload = SimpleUploadedFile('x.png', b'this is not an image', content_type='image/png')

        response = api_client.post(images_url(product.pk), {'image': upload}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': [INVALID_IMAGE_MESSAGE]}
        assert not ProductImage.objects.exists()

    def test_pdf_returns_400(self, api_client, staff, product):
        pdf = (b'%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n'
               b'2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n')
        upload = SimpleUploadedFile('doc.pdf', pdf, content_type='application/pdf')

        response = api_client.post(images_url(product.pk), {'image': upload}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': [INVALID_IMAGE_MESSAGE]}

    def test_missing_file_returns_400(self, api_client, staff, product):
        response = api_client.post(images_url(product.pk), {}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': ['No file was submitted.']}

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_returns_404(self, api_client, staff, product_pk):
        response = api_client.post(images_url(product_pk), {'image': image_file()}, format='multipart')

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert not ProductImage.objects.exists()


@pytest.mark.django_db
class TestReplaceProductImage:
    def test_anonymous_returns_401(self, api_client, product_image):
        response = api_client.put(image_url(product_image.product_id, product_image.pk),
                                  {'image': image_file('new.png')}, format='multipart')

        assert response.status_code == status.HTTP_401_UNAUTHORIZED

    def test_non_staff_returns_403(self, api_client, authenticate, product_image):
        authenticate(is_staff=False)
        old_name = product_image.image.name

        response = api_client.put(image_url(product_image.product_id, product_image.pk),
                                  {'image': image_file('new.png')}, format='multipart')

        assert response.status_code == status.HTTP_403_FORBIDDEN
        product_image.refresh_from_db()
        assert product_image.image.name == old_name

    def test_staff_replaces_the_image(self, api_client, staff, product_image):
        response = api_client.put(image_url(product_image.product_id, product_image.pk),
                                  {'image': image_file('new.png')}, format='multipart')

        assert response.status_code == status.HTTP_200_OK
        assert response.json()['id'] == product_image.pk
        assert absolute_media_url('new').fullmatch(response.json()['image'])
        product_image.refresh_from_db()
        assert product_image.image.name.startswith('store/images/new')

    def test_staff_patch_replaces_the_image(self, api_client, staff, product_image):
        response = api_client.patch(image_url(product_image.product_id, product_image.pk),
                                    {'image': image_file('patched.png')}, format='multipart')

        assert response.status_code == status.HTTP_200_OK
        assert absolute_media_url('patched').fullmatch(response.json()['image'])

    def test_replacing_with_a_non_image_returns_400(self, api_client, staff, product_image):
        old_name = product_image.image.name
        upload = SimpleUploadedFile('x.png', b'not an image', content_type='image/png')

        response = api_client.put(image_url(product_image.product_id, product_image.pk),
                                  {'image': upload}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': [INVALID_IMAGE_MESSAGE]}
        product_image.refresh_from_db()
        assert product_image.image.name == old_name

    def test_replacing_with_an_image_over_500kb_returns_400(self, api_client, staff, product_image):
        response = api_client.put(image_url(product_image.product_id, product_image.pk),
                                  {'image': noise_png()}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': ['Files cannot be larger than 500KB!']}

    def test_replacing_with_an_image_over_the_pixel_cap_returns_400(self, api_client, staff, product_image, settings):
        settings.MAX_IMAGE_PIXELS = 100
        old_name = product_image.image.name

        response = api_client.patch(image_url(product_image.product_id, product_image.pk),
                                    {'image': image_file(size=(20, 20))}, format='multipart')

        assert response.status_code == status.HTTP_400_BAD_REQUEST
        assert response.json() == {'image': ['Images cannot have more than 100 pixels!']}
        product_image.refresh_from_db()
        assert product_image.image.name == old_name

    def test_image_of_another_product_returns_404(self, api_client, staff, product_image):
        response = api_client.put(image_url(make_product().pk, product_image.pk),
                                  {'image': image_file('new.png')}, format='multipart')

        assert response.status_code == status.HTTP_404_NOT_FOUND


@pytest.mark.django_db
class TestDeleteProductImage:
    def test_anonymous_returns_401(self, api_client, product_image):
        response = api_client.delete(image_url(product_image.product_id, product_image.pk))

        assert response.status_code == status.HTTP_401_UNAUTHORIZED
        assert ProductImage.objects.filter(pk=product_image.pk).exists()

    def test_non_staff_returns_403(self, api_client, authenticate, product_image):
        authenticate(is_staff=False)

        response = api_client.delete(image_url(product_image.product_id, product_image.pk))

        assert response.status_code == status.HTTP_403_FORBIDDEN
        assert ProductImage.objects.filter(pk=product_image.pk).exists()

    def test_staff_deletes_the_image(self, api_client, staff, product_image):
        response = api_client.delete(image_url(product_image.product_id, product_image.pk))

        assert response.status_code == status.HTTP_204_NO_CONTENT
        assert not ProductImage.objects.filter(pk=product_image.pk).exists()

    def test_then_get_returns_404(self, api_client, staff, product_image):
        url = image_url(product_image.product_id, product_image.pk)
        api_client.delete(url)

        response = api_client.get(url)

        assert response.status_code == status.HTTP_404_NOT_FOUND

    def test_image_of_another_product_returns_404(self, api_client, staff, product_image):
        response = api_client.delete(image_url(make_product().pk, product_image.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert ProductImage.objects.filter(pk=product_image.pk).exists()

    @pytest.mark.parametrize('product_pk', UNKNOWN_PRODUCT_PKS)
    def test_unknown_or_malformed_product_returns_404(self, api_client, staff, product_image, product_pk):
        response = api_client.delete(image_url(product_pk, product_image.pk))

        assert response.status_code == status.HTTP_404_NOT_FOUND
        assert ProductImage.objects.filter(pk=product_image.pk).exists()


@pytest.mark.django_db
class TestImageFilesOnDisk:
    def test_deleting_an_image_removes_its_file(self, api_client, authenticate, django_capture_on_commit_callbacks):
        product = baker.make(Product, unit_price=Decimal('10.00'), inventory=5)
        authenticate(is_staff=True)
        response = api_client.post(f'/store/products/{product.id}/images/', {"image": image_file()}, format='multipart')
        image = ProductImage.objects.get(pk=response.data['id'])
        path = image.image.path
        assert os.path.exists(path)

        with django_capture_on_commit_callbacks(execute=True):
            api_client.delete(f'/store/products/{product.id}/images/{image.id}/')

        assert not os.path.exists(path)

    def test_replacing_an_image_removes_the_old_file(self, api_client, authenticate, django_capture_on_commit_callbacks):
        product = baker.make(Product, unit_price=Decimal('10.00'), inventory=5)
        authenticate(is_staff=True)
        response = api_client.post(f'/store/products/{product.id}/images/', {"image": image_file()}, format='multipart')
        old_path = ProductImage.objects.get(pk=response.data['id']).image.path

        with django_capture_on_commit_callbacks(execute=True):
            api_client.put(f'/store/products/{product.id}/images/{response.data["id"]}/',
                           {'image': image_file('other.png')}, format='multipart')

        assert not os.path.exists(old_path)
        assert os.path.exists(ProductImage.objects.get(pk=response.data['id']).image.path)
