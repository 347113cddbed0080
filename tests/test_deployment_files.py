"""The deployment files are well-formed and agree with each other (no Docker engine runs here:
.ci/run runs docker/entrypoint.sh natively instead, against MariaDB and Redis)."""
import runpy
import subprocess
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def test_procfile_declares_release_web_worker_and_beat():
    processes = dict(line.split(': ', 1) for line in (PROJECT_ROOT / 'Procfile').read_text().splitlines() if line)
    assert processes == {
        'release': 'python manage.py migrate --no-input',
        'web': 'gunicorn storefront.wsgi',
        'worker': 'celery -A storefront worker --loglevel=info',
        'beat': 'celery -A storefront beat --loglevel=info',
    }


def test_compose_file_parses_and_runs_the_whole_stack():
    compose = yaml.safe_load((PROJECT_ROOT / 'docker-compose.yml').read_text())
    services = compose['services']
    assert set(services) == {'web', 'worker', 'beat', 'mariadb', 'redis'}
    assert {name: services[name]['command'] for name in ('web', 'worker', 'beat')} == {
        'web': ['web'], 'worker': ['worker'], 'beat': ['beat']}
    for name in ('web', 'worker', 'beat'):
        environment = services[name]['environment']
        assert environment['DATABASE_URL'].startswith('mysql://storefront:storefront@mariadb:3306/')
        assert environment['REDIS_URL'] == 'redis://redis:6379/0'
        assert services[name]['depends_on']['mariadb'] == {'condition': 'service_healthy'}
    assert services['web']['ports'] == ['8000:8000']
    assert services['mariadb']['image'].startswith('mariadb:')
    assert set(compose['volumes']) == {'media', 'mariadb', 'redis'}


def test_dockerfile_installs_the_locked_mysql_category_and_starts_the_entrypoint():
    dockerfile = (PROJECT_ROOT / 'Dockerfile').read_text()
    assert 'pipenv install --system --deploy --categories "packages mysql"' in dockerfile
    assert 'ENTRYPOINT ["/app/docker/entrypoint.sh"]' in dockerfile
    assert 'CMD ["web"]' in dockerfile
    assert 'DJANGO_SETTINGS_MODULE=storefront.settings.prod' in dockerfile


def test_entrypoint_is_valid_posix_shell():
    result = subprocess.run(['sh', '-n', str(PROJECT_ROOT / 'docker' / 'entrypoint.sh')], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_gunicorn_config_defaults_to_two_sync_workers_on_port_8000(monkeypatch):
    for name in ('PORT', 'WEB_CONCURRENCY', 'GUNICORN_TIMEOUT'):
        monkeypatch.delenv(name, raising=False)
    config = runpy.run_path(str(PROJECT_ROOT / 'gunicorn.conf.py'))
    assert (config['bind'], config['workers'], config['worker_class']) == ('0.0.0.0:8000', 2, 'sync')


def test_gunicorn_config_follows_the_platform_port(monkeypatch):
    monkeypatch.setenv('PORT', '5123')
    monkeypatch.setenv('WEB_CONCURRENCY', '4')
    config = runpy.run_path(str(PROJECT_ROOT / 'gunicorn.conf.py'))
    assert (config['bind'], config['workers']) == ('0.0.0.0:5123', 4)
