"""The one place where the store's business errors (store.exceptions) become HTTP responses."""
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from .exceptions import Conflict, NotFound, StoreError, Unavailable


class Refused(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = 'invalid'


class BadGateway(exceptions.APIException):
    status_code = status.HTTP_502_BAD_GATEWAY
    default_code = 'bad_gateway'


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = 'conflict'


def as_api_exception(error):
    if isinstance(error, NotFound):
        return exceptions.NotFound(str(error))
    if isinstance(error, Conflict):
        return Unprocessable(str(error))
    if isinstance(error, Unavailable):
        return BadGateway(str(error))
    if error.field:
        return exceptions.ValidationError({error.field: error.messages})
    return Refused(str(error))


def exception_handler(exc, context):
    """DRF's handler, which also answers the store's business errors (400, 404, 422 or 502)."""
    if isinstance(exc, StoreError):
        exc = as_api_exception(exc)
    return drf_exception_handler(exc, context)
