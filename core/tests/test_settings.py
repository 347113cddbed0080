"""Each settings module, imported in a clean process with only the given environment."""
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = (
    'import django; django.setup(); from django.conf import settings as s; '
    "print('debug_toolbar' in s.INSTALLED_APPS, s.DEBUG, s.DATABASES['default']['ENGINE'])"
)


def run_with_settings(module, **environment):
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': module, **environment}
    return subprocess.run([sys.executable, '-c', PRINT_SETTINGS], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_dev_has_the_debug_toolbar():
    result = run_with_settings('storefront.settings.dev')
    assert result.stdout.split()[:2] == ['True', 'True']


def test_tests_run_without_the_debug_toolbar():
    result = run_with_settings('storefront.settings.test')
    assert result.stdout.split() == ['False', 'False', 'django.db.backends.sqlite3']


def test_database_url_selects_mysql():
    result = run_with_settings('storefront.settings.test', DATABASE_URL='mysql://u:p@db.example:3306/shop')
    assert result.stdout.split() == ['False', 'False', 'django.db.backends.mysql']


def test_prod_runs_without_the_debug_toolbar_given_its_secrets():
    result = run_with_settings('storefront.settings.prod', SECRET_KEY='k' * 50, ALLOWED_HOSTS='shop.example.com',
                               DATABASE_URL='sqlite:////tmp/prod-settings-test.sqlite3')
    assert result.stdout.split() == ['False', 'False', 'django.db.backends.sqlite3']


def test_prod_refuses_to_start_without_each_secret():
    complete = {'SECRET_KEY': 'k' * 50, 'ALLOWED_HOSTS': 'shop.example.com', 'DATABASE_URL': 'sqlite:////tmp/x.sqlite3'}
    for missing in complete:
        result = run_with_settings('storefront.settings.prod', **{k: v for k, v in complete.items() if k != missing})
        assert result.returncode != 0
        assert f'The environment variable {missing} is required' in result.stderr
