"""The floor: the fastest a Django app can answer under our gunicorn config, to compare the shop against.

A bare Django WSGI app: settings configured here in code, no database, no middleware, no installed
apps, one URL pattern whose view returns precomputed bytes (FLOOR_BODY_BYTES long, default 4096: the
benchmark passes the size of the product list's page 1). Every method and path is answered, so the
write-flow reference (4 requests per flow) can POST to it like the real flow does.

Run it like the shop: `gunicorn bench.floor:application -c gunicorn.conf.py --bind 127.0.0.1:8001`.
"""
import os

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

BODY_BYTES = int(os.environ.get('FLOOR_BODY_BYTES', '4096'))
# A JSON document of exactly BODY_BYTES bytes (padding in one string).
_PREFIX, _SUFFIX = b'{"padding":"', b'"}'
BODY = _PREFIX + b'x' * max(BODY_BYTES - len(_PREFIX) - len(_SUFFIX), 0) + _SUFFIX


@csrf_exempt
def floor(request):
    response = HttpResponse(BODY, content_type='application/json')
    # The shop's CommonMiddleware sets it; so does the floor, by hand (it has no middleware).
    response['Content-Length'] = str(len(BODY))
    return response


urlpatterns = [re_path(r'', floor)]

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY='floor-has-no-secrets',
        ALLOWED_HOSTS=['127.0.0.1', 'localhost'],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_I18N=False,
        LOGGING_CONFIG=None,
    )
    django.setup()

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
