#!/bin/sh
# Container start-up: wait for the database, apply migrations (web only), then run the given command.
# Usage: entrypoint.sh web | worker | beat | <any command>
set -eu

python manage.py wait_for_db --timeout "${DB_WAIT_TIMEOUT:-60}"

case "${1:-web}" in
  web)
    python manage.py migrate --no-input
    exec gunicorn storefront.wsgi
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
