"""Product images on an S3-compatible object store: a real one, moto's server, started by this test process.

Each test gets a bucket of its own that anyone may read (as a deployment's bucket policy or CDN makes
product images public), and the default storage is switched to it with the same STORAGES entry the
settings build from AWS_STORAGE_BUCKET_NAME and the rest. Objects are checked through boto3 and over
plain HTTP, never through the storage under test.
"""
import io
import json
import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
from decimal import Decimal

import boto3
import pytest
from django.core.management import call_command
from django.db import transaction
from model_bakery import baker
from moto.server import ThreadedMotoServer
from rest_framework.test import APIRequestFactory
from storages.backends.s3 import S3Storage

from store.management.commands import seed_db
from store.models import Collection, Product, ProductImage
from store.rendering import media_url_maker
from store.serializers import ProductSerializer
from storefront.settings.common import s3_media_storage
from tests.test_settings import PROD_ENVIRONMENT, PROJECT_ROOT

from .test_fast_representations import IMAGE_NAMES, generic_representation
from .test_product_images import image_file

# moto accepts any keys; these only have to be the same for the storage and the checking client.
ACCESS_KEY = 'storefront-test'
SECRET_KEY = 'storefront-test-secret'
REGION = 'us-east-1'


@pytest.fixture(scope='session')
def s3_endpoint():
    """The address of a moto S3 server on a free port, for the whole test process."""
    # Its HTTP server would log every request at INFO into the tests' output.
    logger = logging.getLogger('werkzeug')
    level = logger.level
    logger.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f'http://{host}:{port}'
    server.stop()
    logger.setLevel(level)


@pytest.fixture
def s3(s3_endpoint):
    return boto3.client('s3', endpoint_url=s3_endpoint, region_name=REGION,
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


@pytest.fixture
def bucket(s3):
    """A new bucket whose objects anyone may read, as the deployment's bucket policy allows."""
    name = f'media-{uuid.uuid4().hex[:12]}'
    s3.create_bucket(Bucket=name)
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': f'arn:aws:s3:::{name}/*'}]}))
    return name


def use_bucket(settings, endpoint, bucket, base_url=None):
    settings.STORAGES = {**settings.STORAGES, 'default': s3_media_storage(
        bucket=bucket, access_key=ACCESS_KEY, secret_key=SECRET_KEY, endpoint_url=endpoint, region=REGION,
        base_url=base_url)}


@pytest.fixture
def s3_media(settings, s3_endpoint, bucket):
    """The default storage (the image field's) is the bucket; returns the storage."""
    use_bucket(settings, s3_endpoint, bucket)
    storage = ProductImage._meta.get_field('image').storage
    assert isinstance(storage, S3Storage)
    return storage


def object_names(s3, bucket):
    pages = s3.get_paginator('list_objects_v2').paginate(Bucket=bucket)
    return {item['Key'] for page in pages for item in page.get('Contents', ())}


def object_bytes(s3, bucket, name):
    return s3.get_object(Bucket=bucket, Key=name)['Body'].read()


def fetch(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def upload(api_client, product, file):
    response = api_client.post(f'/store/products/{product.pk}/images/', {'image': file}, format='multipart')
    assert response.status_code == 201, response.content
    return ProductImage.objects.get(pk=response.data['id'])


@pytest.fixture
def product(db):
    return baker.make(Product, unit_price=Decimal('10.00'), inventory=5, collection=baker.make(Collection))


@pytest.mark.django_db
@pytest.mark.usefixtures('s3_media')
class TestImagesInTheBucket:
    def test_an_upload_is_an_object_in_the_bucket(self, api_client, staff, product, s3, bucket):
        file = image_file('photo.png')

        image = upload(api_client, product, file)

        assert image.image.name.startswith('store/images/photo')
        assert object_names(s3, bucket) == {image.image.name}
        file.seek(0)
        assert object_bytes(s3, bucket, image.image.name) == file.read()

    def test_the_api_gives_the_object_url_which_serves_the_bytes(self, api_client, staff, product, s3,
                                                                  s3_endpoint, bucket):
        image = upload(api_client, product, image_file('photo.png'))
        expected = f'{s3_endpoint}/{bucket}/{image.image.name}'

        api_client.force_authenticate(None)
        listed = api_client.get(f'/store/products/{product.pk}/images/').json()
        detail = api_client.get(f'/store/products/{product.pk}/').json()
        page = api_client.get('/store/products/').json()

        # The store's own address, not the request's host in front of it.
        assert listed == [{'id': image.pk, 'image': expected}]
        assert detail['images'] == [{'id': image.pk, 'image': expected}]
        assert [item['images'] for item in page['results']] == [[{'id': image.pk, 'image': expected}]]
        assert fetch(expected) == object_bytes(s3, bucket, image.image.name)

    def test_a_taken_name_gets_an_object_of_its_own(self, api_client, staff, product, s3, bucket):
        first = upload(api_client, product, image_file('photo.png'))
        second = upload(api_client, product, image_file('photo.png', size=(9, 9)))

        assert first.image.name != second.image.name
        assert object_names(s3, bucket) == {first.image.name, second.image.name}

    def test_replacing_deletes_the_old_object_after_the_commit(self, api_client, staff, product, s3, bucket,
                                                                django_capture_on_commit_callbacks):
        image = upload(api_client, product, image_file('old.png'))
        old_name = image.image.name

        with django_capture_on_commit_callbacks() as callbacks:
            response = api_client.put(f'/store/products/{product.pk}/images/{image.pk}/',
                                      {'image': image_file('new.png')}, format='multipart')
            assert response.status_code == 200, response.content
        new_name = ProductImage.objects.get(pk=image.pk).image.name
        # Not before: a rollback would leave the row pointing at it.
        assert object_names(s3, bucket) == {old_name, new_name}

        for callback in callbacks:
            callback()

        assert object_names(s3, bucket) == {new_name}
        assert response.json()['image'].endswith(f'/{bucket}/{new_name}')

    def test_a_rolled_back_replacement_keeps_the_old_object(self, product, s3, bucket,
                                                            django_capture_on_commit_callbacks):
        image = ProductImage.objects.create(product=product, image=image_file('old.png'))
        old_name = image.image.name

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                image.image = image_file('new.png')
                image.save()
                raise RuntimeError('rolled back')

        assert callbacks == []
        assert ProductImage.objects.get(pk=image.pk).image.name == old_name
        assert old_name in object_names(s3, bucket)

    def test_deleting_removes_the_object(self, api_client, staff, product, s3, bucket,
                                         django_capture_on_commit_callbacks):
        image = upload(api_client, product, image_file('photo.png'))

        with django_capture_on_commit_callbacks(execute=True):
            response = api_client.delete(f'/store/products/{product.pk}/images/{image.pk}/')

        assert response.status_code == 204
        assert object_names(s3, bucket) == set()

    def test_deleting_the_product_removes_its_objects(self, api_client, staff, product, s3, bucket,
                                                      django_capture_on_commit_callbacks):
        upload(api_client, product, image_file('a.png'))
        upload(api_client, product, image_file('b.png'))

        with django_capture_on_commit_callbacks(execute=True):
            product.delete()

        assert object_names(s3, bucket) == set()


@pytest.mark.django_db
class TestUrls:
    def test_a_base_url_replaces_the_endpoint_in_image_urls(self, api_client, product, settings, s3_endpoint,
                                                            bucket, s3):
        use_bucket(settings, s3_endpoint, bucket, base_url='https://cdn.example.com/media/')
        image = ProductImage.objects.create(product=product, image=image_file('photo.png'))

        listed = api_client.get(f'/store/products/{product.pk}/images/').json()

        assert listed == [{'id': image.pk, 'image': f'https://cdn.example.com/media/{image.image.name}'}]
        assert object_names(s3, bucket) == {image.image.name}

    def test_a_base_url_in_front_of_the_bucket_serves_the_bytes(self, api_client, product, settings, s3_endpoint,
                                                                bucket, s3):
        # The bucket's own public address given as the base, as a CDN whose origin is the bucket would be.
        use_bucket(settings, s3_endpoint, bucket, base_url=f'{s3_endpoint}/{bucket}')
        image = ProductImage.objects.create(product=product, image=image_file('photo.png'))

        [item] = api_client.get(f'/store/products/{product.pk}/images/').json()

        assert item['image'] == f'{s3_endpoint}/{bucket}/{image.image.name}'
        assert fetch(item['image']) == object_bytes(s3, bucket, image.image.name)

    def test_objects_are_not_readable_without_the_buckets_policy(self, s3_media, s3, bucket):
        # What the policy is for: the store keeps objects private (no ACL), the URLs carry no signature.
        s3.delete_bucket_policy(Bucket=bucket)
        name = s3_media.save('store/images/private.png', image_file())

        with pytest.raises(urllib.error.HTTPError) as refused:
            fetch(s3_media.url(name))
        assert refused.value.code == 403

    @pytest.mark.parametrize('name', IMAGE_NAMES)
    def test_the_fast_path_gives_the_storages_url(self, s3_media, name):
        media_url = media_url_maker(APIRequestFactory().get('/', HTTP_HOST='testserver'), s3_media)

        assert media_url(name) == s3_media.url(name)
        assert media_url(name).startswith(s3_media.endpoint_url)

    def test_products_render_as_drf_renders_them(self, s3_media, product):
        for name in IMAGE_NAMES:
            baker.make(ProductImage, product=product, image=name)
        context = {'request': APIRequestFactory().get('/store/products/', HTTP_HOST='testserver')}
        serializer = ProductSerializer(Product.objects.prefetch_related('images').get(pk=product.pk), context=context)

        assert serializer.data == generic_representation(serializer)
        assert [item['image'] for item in serializer.data['images']] == [
            s3_media.url(image.image.name) for image in product.images.order_by('pk')]


# One brand a collection instead of ten: 100 products, each with its picture.
@pytest.fixture
def small_catalogue(monkeypatch):
    monkeypatch.setattr(seed_db, 'CATALOG', {
        title: (brands[:1], nouns, selling_points)
        for title, (brands, nouns, selling_points) in seed_db.CATALOG.items()})
    return len(seed_db.build_products()[0])


def run_seed():
    call_command('seed_db', stdout=io.StringIO(), stderr=io.StringIO())


@pytest.mark.django_db
@pytest.mark.usefixtures('small_catalogue')
class TestSeedDb:
    def test_seeded_images_are_objects_served_at_their_urls(self, s3_media, s3, bucket, small_catalogue,
                                                           api_client):
        run_seed()

        images = list(ProductImage.objects.order_by('pk'))
        assert len(images) == small_catalogue
        assert object_names(s3, bucket) == {image.image.name for image in images}
        first = api_client.get(f'/store/products/{images[0].product_id}/images/').json()[0]['image']
        assert fetch(first) == object_bytes(s3, bucket, images[0].image.name)

    def test_a_second_run_writes_no_object_and_a_lost_one_is_written_again(self, s3_media, s3, bucket,
                                                                            monkeypatch):
        run_seed()
        lost = ProductImage.objects.order_by('pk').first().image.name
        s3.delete_object(Bucket=bucket, Key=lost)
        saved = []
        save = S3Storage._save
        monkeypatch.setattr(S3Storage, '_save', lambda storage, name, content: saved.append(name) or save(
            storage, name, content))

        run_seed()

        assert saved == [lost]
        assert lost in object_names(s3, bucket)


# ---------------------------------------------------------------- the settings

PRINT_STORAGE = ('import json; from django.conf import settings as s; '
                 "print(json.dumps([s.STORAGES['default'], s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']]))")
S3_ENVIRONMENT = {
    'AWS_STORAGE_BUCKET_NAME': 'shop-media',
    'AWS_ACCESS_KEY_ID': 'AKIAEXAMPLE',
    'AWS_SECRET_ACCESS_KEY': 'example/secret+key',
    'AWS_S3_ENDPOINT_URL': 'https://s3.example.com',
    'AWS_S3_REGION_NAME': 'eu-west-1',
    'MEDIA_BASE_URL': 'https://cdn.example.com/media/',
}


def run_prod(**environment):
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': 'storefront.settings.prod',
           **PROD_ENVIRONMENT, **environment}
    return subprocess.run([sys.executable, '-c', PRINT_STORAGE], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_prod_keeps_images_on_disk_without_a_bucket():
    result = run_prod()

    assert result.returncode == 0, result.stderr
    storage, img_src = json.loads(result.stdout)
    assert storage == {'BACKEND': 'django.core.files.storage.FileSystemStorage'}
    assert img_src == ["'self'", 'data:']


def test_prod_puts_images_in_the_bucket_configured():
    result = run_prod(**S3_ENVIRONMENT)

    assert result.returncode == 0, result.stderr
    storage, img_src = json.loads(result.stdout)
    assert storage['BACKEND'] == 'storages.backends.s3.S3Storage'
    assert storage['OPTIONS'] == {
        'bucket_name': 'shop-media', 'access_key': 'AKIAEXAMPLE', 'secret_key': 'example/secret+key',
        'endpoint_url': 'https://s3.example.com', 'region_name': 'eu-west-1', 'querystring_auth': False,
        'file_overwrite': False, 'custom_domain': 'cdn.example.com/media', 'url_protocol': 'https:'}
    # The admin's thumbnails come from there.
    assert img_src == ["'self'", 'data:', 'https://cdn.example.com']


def test_without_a_base_url_or_endpoint_thumbnails_come_from_the_buckets_aws_address():
    environment = {name: S3_ENVIRONMENT[name]
                   for name in ('AWS_STORAGE_BUCKET_NAME', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY')}
    result = run_prod(**environment)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[1] == ["'self'", 'data:', 'https://shop-media.s3.amazonaws.com']


@pytest.mark.parametrize('given, missing', [
    (['AWS_STORAGE_BUCKET_NAME'], 'AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY'),
    (['AWS_STORAGE_BUCKET_NAME', 'AWS_ACCESS_KEY_ID'], 'AWS_SECRET_ACCESS_KEY'),
    (['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'], 'AWS_STORAGE_BUCKET_NAME'),
    (['AWS_S3_ENDPOINT_URL'], 'AWS_STORAGE_BUCKET_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY'),
    (['MEDIA_BASE_URL'], 'AWS_STORAGE_BUCKET_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY'),
])
def test_prod_refuses_half_a_configuration(given, missing):
    result = run_prod(**{name: S3_ENVIRONMENT[name] for name in given})

    assert result.returncode != 0
    assert (f'Media on object storage is half configured: {", ".join(given)} set, but not {missing}.'
            in result.stderr)


@pytest.mark.parametrize('base_url', ['cdn.example.com', 'ftp://cdn.example.com/', 'https:///media/',
                                      'https://cdn.example.com/?v=1'])
def test_prod_refuses_a_base_url_that_is_no_http_address(base_url):
    result = run_prod(**{**S3_ENVIRONMENT, 'MEDIA_BASE_URL': base_url})

    assert result.returncode != 0
    assert 'MEDIA_BASE_URL must be an http(s) address such as https://cdn.example.com/media/' in result.stderr


def test_the_tests_keep_images_on_disk_whatever_the_environment_says():
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': 'storefront.settings.test', **S3_ENVIRONMENT}
    result = subprocess.run([sys.executable, '-c', PRINT_STORAGE], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [{'BACKEND': 'django.core.files.storage.FileSystemStorage'},
                                         ["'self'", 'data:']]
