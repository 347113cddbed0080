# The Storefront image: gunicorn (web), Celery worker and beat all run from it (docker/entrypoint.sh).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=storefront.settings.prod

RUN apt-get update \
    && apt-get install -y --no-install-recommends libmariadb-dev pkg-config gcc \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY Pipfile Pipfile.lock ./
RUN pip install pipenv \
    && pipenv install --system --deploy --categories "packages mysql" \
    && pip uninstall -y pipenv

COPY . .
# collectstatic imports the prod settings, which need these; the real values come at run time.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=build DATABASE_URL=sqlite:////tmp/build.sqlite3 \
    python manage.py collectstatic --no-input \
    && useradd --create-home --uid 1000 storefront \
    && mkdir -p /app/media && chown -R storefront /app/media

USER storefront
EXPOSE 8000
ENTRYPOINT ["/app/docker/entrypoint.sh"]
CMD ["web"]
