#!/bin/sh
# Container start-up: wait for the database, apply migrations (web, unless MIGRATE_ON_START=false, and
# release), then run the given command.
# Usage: entrypoint.sh web | worker | beat | release | <any command>
set -eu

python manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}"

case "${1:-web}" in
  web)
    # One node migrates as it starts. Several must not all at once (MariaDB's DDL is not transactional):
    # they start with MIGRATE_ON_START=false after `release` has run once (docs/deployment.md).
    if [ "${MIGRATE_ON_START:-true}" != false ]; then
      python manage.py migrate --no-input
    fi
    exec gunicorn storefront.wsgi
    ;;
  release)
    exec python manage.py migrate --no-input
    ;;
  worker)
    exec celery -A storefront worker --loglevel="${CELERY_LOG_LEVEL:-info}"
    ;;
  beat)
    exec celery -A storefront beat --loglevel="${CELERY_LOG_LEVEL:-info}" --schedule /tmp/celerybeat-schedule
    ;;
  *)
    exec "$@"
    ;;
esac
