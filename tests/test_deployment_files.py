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


def run_entrypoint(tmp_path, *args, **environment):
    """The entrypoint's commands in order, with python, gunicorn and celery replaced by recorders
    (what they would run is the question here; CI runs the real ones)."""
    bin_dir, calls = tmp_path / 'bin', tmp_path / 'calls'
    bin_dir.mkdir()
    for program in ('python', 'gunicorn', 'celery'):
        recorder = bin_dir / program
        recorder.write_text(f'#!/bin/sh\necho "{program} $*" >> "{calls}"\n')
        recorder.chmod(0o755)
    subprocess.run(['sh', str(PROJECT_ROOT / 'docker' / 'entrypoint.sh'), *args], check=True, cwd=tmp_path,
                   env={'PATH': f'{bin_dir}:/usr/bin:/bin', **environment})
    return calls.read_text().splitlines()


def test_entrypoint_web_migrates_then_serves(tmp_path):
    assert run_entrypoint(tmp_path, 'web') == [
        'python manage.py wait_for_db --timeout 60', 'python manage.py migrate --no-input', 'gunicorn storefront.wsgi']


def test_entrypoint_web_nodes_of_a_fleet_leave_migrating_to_the_release(tmp_path):
    assert run_entrypoint(tmp_path, 'web', MIGRATE_ON_START='false') == [
        'python manage.py wait_for_db --timeout 60', 'gunicorn storefront.wsgi']


def test_entrypoint_release_only_migrates(tmp_path):
    assert run_entrypoint(tmp_path, 'release', DB_WAIT_TIMEOUT='5') == [
        'python manage.py wait_for_db --timeout 5', 'python manage.py migrate --no-input']


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
