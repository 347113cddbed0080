"""Each settings module, imported in a clean process with only the given environment."""
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = (
    'from django.conf import settings as s; '
    "print('debug_toolbar' in s.INSTALLED_APPS, s.DEBUG, s.DATABASES['default']['ENGINE'], 'silk' in s.INSTALLED_APPS)"
)
PROD_ENVIRONMENT = {
    # A key as random as `get_random_secret_key()` makes, which `check --deploy` accepts.
    'SECRET_KEY': 'q8v!x2#m0z$k7w@p4r&t9y^b3n*c6f(h1j)l5d-s_g+e=u~aQ7LmN3',
    'ALLOWED_HOSTS': 'shop.example.com',
    'DATABASE_URL': 'sqlite:////tmp/prod-settings-test.sqlite3',
    'LOG_FILE': '/tmp/prod-settings-test.log',
}


def run_with_settings(module, **environment):
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': module, **environment}
    return subprocess.run([sys.executable, '-c', PRINT_SETTINGS], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_dev_has_the_debug_toolbar_and_silk():
    result = run_with_settings('storefront.settings.dev')
    words = result.stdout.split()
    assert (words[0], words[1], words[3]) == ('True', 'True', 'True')


def test_tests_run_without_the_debug_toolbar():
    result = run_with_settings('storefront.settings.test')
    assert result.stdout.split() == ['False', 'False', 'django.db.backends.sqlite3', 'False']


def test_database_url_selects_mysql():
    result = run_with_settings('storefront.settings.test', DATABASE_URL='mysql://u:p@db.example:3306/shop')
    assert result.stdout.split() == ['False', 'False', 'django.db.backends.mysql', 'False']


def test_prod_runs_without_the_debug_toolbar_or_silk_given_its_secrets():
    result = run_with_settings('storefront.settings.prod', **PROD_ENVIRONMENT)
    assert result.stdout.split() == ['False', 'False', 'django.db.backends.sqlite3', 'False']


def test_prod_passes_the_deployment_checks_without_a_single_warning():
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': 'storefront.settings.prod', **PROD_ENVIRONMENT}
    result = subprocess.run([sys.executable, 'manage.py', 'check', '--deploy', '--fail-level', 'WARNING'],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert 'System check identified no issues (0 silenced).' in result.stdout


def test_prod_refuses_to_start_without_each_secret():
    complete = {name: PROD_ENVIRONMENT[name] for name in ('SECRET_KEY', 'ALLOWED_HOSTS', 'DATABASE_URL')}
    for missing in complete:
        result = run_with_settings('storefront.settings.prod', **{k: v for k, v in complete.items() if k != missing})
        assert result.returncode != 0
        assert f'The environment variable {missing} is required' in result.stderr
