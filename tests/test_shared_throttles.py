"""Throttle counters are shared by every process of a deployment: a 2-worker gunicorn on the embedded
default (no Redis) refuses the N+1st login attempt, whichever worker takes it."""
import json
import os
import secrets
import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from .servers import PROJECT_ROOT, free_port, running

LOGIN_RATE = 6


@pytest.fixture(scope='module')
def two_workers(tmp_path_factory):
    directory = tmp_path_factory.mktemp('throttles')
    port = free_port()
    env = {'PATH': os.environ['PATH'], 'HOME': os.environ.get('HOME', str(directory)),
           'DJANGO_SETTINGS_MODULE': 'storefront.settings.prod', 'SECRET_KEY': secrets.token_urlsafe(50),
           'ALLOWED_HOSTS': '127.0.0.1', 'DATABASE_URL': f'sqlite:///{directory}/db.sqlite3',
           'SECURE_SSL_REDIRECT': 'false', 'LOG_FILE': str(directory / 'general.log'),
           'MEDIA_ROOT': str(directory / 'media'), 'THROTTLE_CACHE_DIR': str(directory / 'throttle'),
           'THROTTLE_LOGIN_RATE': f'{LOGIN_RATE}/hour', 'WEB_CONCURRENCY': '2', 'PORT': str(port)}
    subprocess.run([sys.executable, 'manage.py', 'migrate', '--no-input', '-v0'], cwd=PROJECT_ROOT, env=env,
                   check=True, capture_output=True, timeout=180)
    url = f'http://127.0.0.1:{port}'
    with running([sys.executable, '-m', 'gunicorn', 'storefront.wsgi'], env=env, url=url,
                 log_path=directory / 'gunicorn.log', name='gunicorn'):
        yield url


def login(url):
    """A wrong login over a fresh connection (gunicorn's sync workers take turns): its status."""
    request = urllib.request.Request(f'{url}/auth/jwt/create/', method='POST',
                                     data=json.dumps({'username': 'nobody', 'password': 'wrong'}).encode(),
                                     headers={'Content-Type': 'application/json', 'Connection': 'close'})
    try:
        return urllib.request.urlopen(request, timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


def test_throttle_counters_are_shared_by_the_workers_of_a_deployment(two_workers):
    statuses = [login(two_workers) for _ in range(LOGIN_RATE + 4)]

    assert statuses == [401] * LOGIN_RATE + [429] * 4
