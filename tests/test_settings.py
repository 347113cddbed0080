"""Each settings module, imported in a clean process with only the given environment."""
import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]

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


# Run before the settings: records every .env file a module asks django-environ to read, and reads the
# file named by STOREFRONT_TEST_ENV_FILE instead (the project's own .env is never touched).
PRINT_WITH_DOTENV_SPY = '''
import json, os, environ
requested = []
read_env = environ.Env.read_env.__func__
def spy(cls, env_file=None, **options):
    requested.append(str(env_file))
    read_env(cls, os.environ['STOREFRONT_TEST_ENV_FILE'], **options)
environ.Env.read_env = classmethod(spy)
from django.conf import settings as s
print(json.dumps({'requested': requested, 'SECRET_KEY': s.SECRET_KEY, 'DOMAIN': s.DOMAIN, 'SITE_NAME': s.SITE_NAME,
                  'EMAIL_HOST_PASSWORD': s.EMAIL_HOST_PASSWORD, 'EMAIL_PORT': s.EMAIL_PORT}))
'''
DOTENV = ('# a comment\nSECRET_KEY=from-the-dotenv-file\nDOMAIN=dotenv.example\nSITE_NAME=From the file\n'
          "EMAIL_HOST_PASSWORD='$ecret#1'\nEMAIL_PORT=\n")


def settings_with_a_dotenv_file(module, tmp_path, **environment):
    env_file = tmp_path / '.env'
    env_file.write_text(DOTENV)
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': module, 'STOREFRONT_TEST_ENV_FILE': str(env_file),
           **environment}
    result = subprocess.run([sys.executable, '-c', PRINT_WITH_DOTENV_SPY], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_dev_reads_the_projects_dotenv_file_and_the_real_environment_wins(tmp_path):
    values = settings_with_a_dotenv_file('storefront.settings.dev', tmp_path, SITE_NAME='From the environment')

    assert values['requested'] == [str(PROJECT_ROOT / '.env')]
    assert values['SECRET_KEY'] == 'from-the-dotenv-file'
    assert values['DOMAIN'] == 'dotenv.example'
    assert values['SITE_NAME'] == 'From the environment'
    assert values['EMAIL_HOST_PASSWORD'] == '$ecret#1'  # literal: no "$NAME" lookup, no comment
    assert values['EMAIL_PORT'] == 25  # empty counts as unset


def test_test_and_prod_settings_never_read_a_dotenv_file(tmp_path):
    for module, environment in (('storefront.settings.test', {}), ('storefront.settings.prod', PROD_ENVIRONMENT)):
        values = settings_with_a_dotenv_file(module, tmp_path, **environment)
        assert values['requested'] == [], module
        assert values['DOMAIN'] == 'localhost:8000', module


PRINT_WITHOUT_THE_DEV_PACKAGES = '''
import sys
class NotInstalled:  # as after `pipenv install --categories "packages mysql"` (the Docker image)
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in ('debug_toolbar', 'silk'):
            raise ModuleNotFoundError(f'No module named {name!r}', name=name)
sys.meta_path.insert(0, NotInstalled())
import django
django.setup()
import storefront.urls  # noqa: F401
print('started')
'''


def run_without_the_dev_packages(module, **environment):
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': module, **environment}
    return subprocess.run([sys.executable, '-c', PRINT_WITHOUT_THE_DEV_PACKAGES], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def test_prod_and_test_start_without_the_dev_packages():
    for module, environment in (('storefront.settings.prod', PROD_ENVIRONMENT), ('storefront.settings.test', {})):
        result = run_without_the_dev_packages(module, **environment)
        assert result.stdout.split() == ['started'], result.stderr


def test_dev_without_the_dev_packages_says_how_to_install_them():
    result = run_without_the_dev_packages('storefront.settings.dev')
    assert result.returncode != 0
    assert 'storefront.settings.dev needs the development packages' in result.stderr
    assert 'pipenv sync --dev' in result.stderr


PRINT_VALUES = ('import json; from django.conf import settings as s; '
                "print(json.dumps({name: str(getattr(s, name)) for name in "
                "('SECRET_KEY', 'EMAIL_BACKEND', 'ALLOWED_HOSTS', 'CSRF_TRUSTED_ORIGINS', 'LOGGING')"
                " if hasattr(s, name)}))")


def settings_values(module, **environment):
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': module, **environment}
    result = subprocess.run([sys.executable, '-c', PRINT_VALUES], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_each_environment_has_its_own_email_backend_unless_one_is_set():
    environments = {'storefront.settings.dev': {}, 'storefront.settings.prod': PROD_ENVIRONMENT,
                    'storefront.settings.test': {}}
    backends = {module: settings_values(module, **environment)['EMAIL_BACKEND']
                for module, environment in environments.items()}
    assert backends == {'storefront.settings.dev': 'django.core.mail.backends.console.EmailBackend',
                        'storefront.settings.prod': 'django.core.mail.backends.smtp.EmailBackend',
                        'storefront.settings.test': 'django.core.mail.backends.locmem.EmailBackend'}
    chosen = 'django.core.mail.backends.filebased.EmailBackend'
    assert settings_values('storefront.settings.dev', EMAIL_BACKEND=chosen)['EMAIL_BACKEND'] == chosen
    assert settings_values('storefront.settings.prod', **PROD_ENVIRONMENT, EMAIL_BACKEND=chosen)['EMAIL_BACKEND'] == chosen


def test_prod_takes_values_literally_and_lists_without_blanks():
    secret = '$' + PROD_ENVIRONMENT['SECRET_KEY']  # get_random_secret_key() can start with '$'
    values = settings_values('storefront.settings.prod', **{
        **PROD_ENVIRONMENT, 'SECRET_KEY': secret, 'ALLOWED_HOSTS': 'shop.example.com, www.shop.example.com, ',
        'CSRF_TRUSTED_ORIGINS': ''})
    assert values['SECRET_KEY'] == secret
    assert values['ALLOWED_HOSTS'] == str(['shop.example.com', 'www.shop.example.com'])
    assert values['CSRF_TRUSTED_ORIGINS'] == '[]'


def test_prod_logs_to_general_log_unless_log_file_says_otherwise():
    environment = {name: value for name, value in PROD_ENVIRONMENT.items() if name != 'LOG_FILE'}
    assert str(PROJECT_ROOT / 'general.log') in settings_values('storefront.settings.prod', **environment)['LOGGING']
    assert "'file'" not in settings_values('storefront.settings.test')['LOGGING']


def test_an_empty_required_variable_counts_as_missing_and_all_missing_ones_are_named():
    result = run_with_settings('storefront.settings.prod', **{**PROD_ENVIRONMENT, 'ALLOWED_HOSTS': ' , '})
    assert 'The environment variable ALLOWED_HOSTS is required' in result.stderr

    result = run_with_settings('storefront.settings.prod')
    for name in ('SECRET_KEY', 'ALLOWED_HOSTS', 'DATABASE_URL'):
        assert f'The environment variable {name} is required' in result.stderr


def test_test_settings_use_redis_from_the_real_environment_one_database_per_worker():
    code = ("from django.conf import settings as s; c = s.CACHES['default']; "
            "print(c['BACKEND'], c['LOCATION'], s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)")
    env = {'PATH': os.environ['PATH'], 'DJANGO_SETTINGS_MODULE': 'storefront.settings.test',
           'REDIS_URL': 'redis://redis.example:6379/0', 'PYTEST_XDIST_WORKER': 'gw2'}
    result = subprocess.run([sys.executable, '-c', code], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ['django_redis.cache.RedisCache', 'redis://redis.example:6379/3',
                                     'redis://redis.example:6379/0', 'False'], result.stderr
