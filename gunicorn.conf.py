"""gunicorn settings: `gunicorn storefront.wsgi` picks this file up from the working directory.

Deployment knobs come from the environment, as on Heroku: PORT, WEB_CONCURRENCY, GUNICORN_TIMEOUT.
"""
import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get('WEB_CONCURRENCY', '2'))
worker_class = 'sync'
timeout = int(os.environ.get('GUNICORN_TIMEOUT', '30'))
graceful_timeout = 30
# Load the app before forking, so workers share its memory and a broken app fails at start.
preload_app = True
accesslog = '-'
errorlog = '-'
# Trust X-Forwarded-* only from the local proxy (the platform's router or nginx on the same host).
forwarded_allow_ips = os.environ.get('FORWARDED_ALLOW_IPS', '127.0.0.1')
