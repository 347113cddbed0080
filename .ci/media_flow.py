"""Product images on the S3-compatible server CI runs (moto's server mode), over real HTTP.

Usage: python .ci/media_flow.py bucket           (waits for the server, creates the bucket anyone may read)
       python .ci/media_flow.py check BASE_URL --staff USER:PASSWORD [--other-node BASE_URL]
Both read the store from the environment the shop reads it from: AWS_S3_ENDPOINT_URL,
AWS_STORAGE_BUCKET_NAME, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_S3_REGION_NAME.
`check` uploads an image through the shop, requires its URL to be the object's (not the shop's), fetches
the bytes from the store, reads it from the other node too when given, then deletes it and requires the
object gone. Every unexpected answer ends the run with exit code 1.
"""
import argparse
import io
import json
import os
import sys
import time
import uuid
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import boto3
from botocore.exceptions import ClientError, EndpointConnectionError
from PIL import Image


def fail(message):
    print(f'FAIL {message}', file=sys.stderr)
    sys.exit(1)


def store():
    return (os.environ['AWS_S3_ENDPOINT_URL'].rstrip('/'), os.environ['AWS_STORAGE_BUCKET_NAME'],
            boto3.client('s3', endpoint_url=os.environ['AWS_S3_ENDPOINT_URL'],
                         region_name=os.environ.get('AWS_S3_REGION_NAME') or 'us-east-1',
                         aws_access_key_id=os.environ['AWS_ACCESS_KEY_ID'],
                         aws_secret_access_key=os.environ['AWS_SECRET_ACCESS_KEY']))


def make_bucket():
    endpoint, bucket, s3 = store()
    deadline = time.monotonic() + 60
    while True:
        try:
            s3.list_buckets()
            break
        except EndpointConnectionError:
            if time.monotonic() > deadline:
                fail(f'no S3 server answered at {endpoint}')
            time.sleep(0.5)
    s3.create_bucket(Bucket=bucket)
    # Image URLs carry no signature: anyone may read the objects (not list or write them).
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{
        'Effect': 'Allow', 'Principal': '*', 'Action': 's3:GetObject', 'Resource': f'arn:aws:s3:::{bucket}/*'}]}))
    print(f'ok  bucket {bucket} at {endpoint}, readable by anyone')


def call(method, url, body=None, headers=None, expect=200):
    try:
        with urlopen(Request(url, data=body, method=method, headers=headers or {}), timeout=30) as response:
            status, raw = response.status, response.read()
    except HTTPError as error:
        status, raw = error.code, error.read()
    if status != expect:
        fail(f'{method} {url}: expected {expect}, got {status}: {raw[:300]!r}')
    print(f'ok  {status} {method} {url}')
    return raw


def multipart(field, filename, content, content_type):
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
            f'Content-Type: {content_type}\r\n\r\n').encode() + content + f'\r\n--{boundary}--\r\n'.encode()
    return body, f'multipart/form-data; boundary={boundary}'


def check(base_url, staff, other_node):
    endpoint, bucket, s3 = store()
    base_url = base_url.rstrip('/')
    username, password = staff.split(':', 1)
    token = json.loads(call('POST', f'{base_url}/auth/jwt/create/',
                            json.dumps({'username': username, 'password': password}).encode(),
                            {'Content-Type': 'application/json'}))['access']
    auth = {'Authorization': f'JWT {token}'}
    product = json.loads(call('GET', f'{base_url}/store/products/'))['results'][0]

    buffer = io.BytesIO()
    Image.new('RGB', (16, 16), color=(20, 120, 200)).save(buffer, format='PNG')
    picture = buffer.getvalue()
    body, content_type = multipart('image', 'ci-upload.png', picture, 'image/png')
    images = f'{base_url}/store/products/{product["id"]}/images/'
    image = json.loads(call('POST', images, body, {**auth, 'Content-Type': content_type}, expect=201))

    prefix = f'{endpoint}/{bucket}/store/images/'
    if not image['image'].startswith(prefix):
        fail(f'the image URL {image["image"]} is not an object of {endpoint}/{bucket}')
    name = image['image'].removeprefix(f'{endpoint}/{bucket}/')
    if s3.get_object(Bucket=bucket, Key=name)['Body'].read() != picture:
        fail(f'the object {name} does not hold the uploaded bytes')
    if call('GET', image['image']) != picture:
        fail(f'{image["image"]} does not serve the uploaded bytes')
    print(f'ok  the upload is the object {name}, served by the store')
    if other_node:
        listed = json.loads(call('GET', f'{other_node.rstrip("/")}/store/products/{product["id"]}/images/'))
        if {'id': image['id'], 'image': image['image']} not in listed:
            fail(f'{other_node} does not list the image uploaded through {base_url}')
        print(f'ok  {other_node} serves the image uploaded through {base_url}')

    call('DELETE', f'{images}{image["id"]}/', headers=auth, expect=204)
    try:
        s3.head_object(Bucket=bucket, Key=name)
        fail(f'the object {name} is still there after the image was deleted')
    except ClientError as error:
        if error.response['Error']['Code'] not in ('404', 'NoSuchKey'):
            raise
    print(f'ok  deleting the image deleted the object {name}')


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest='command', required=True)
    commands.add_parser('bucket')
    checking = commands.add_parser('check')
    checking.add_argument('base_url')
    checking.add_argument('--staff', required=True, help='USERNAME:PASSWORD of a staff user')
    checking.add_argument('--other-node', help="a second web node's base URL, on the same database and store")
    args = parser.parse_args()
    if args.command == 'bucket':
        make_bucket()
    else:
        check(args.base_url, args.staff, args.other_node)


if __name__ == '__main__':
    main()
