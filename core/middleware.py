"""Request guards that run before anything reads a request's body, and the pages' Content-Security-Policy."""
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.http import JsonResponse


class RequestBodyLimitMiddleware:
    """Refuse a body over MAX_REQUEST_BODY_BYTES with 413 JSON, from its Content-Length, before it is read.

    Django caps only the non-file part of a body (DATA_UPLOAD_MAX_MEMORY_SIZE), and only when something
    reads `request.body` or `request.POST`: DRF's parsers read the stream, and multipart files are spooled
    to disk whatever their size. A body sent without Content-Length is read as empty under WSGI.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.MAX_REQUEST_BODY_BYTES
        try:
            length = int(request.META.get('CONTENT_LENGTH') or 0)
        except ValueError:
            return JsonResponse({'detail': 'Malformed Content-Length header.'}, status=400)
        if length > limit:
            return JsonResponse({'detail': f'Request body too large: the limit is {limit} bytes.'}, status=413)
        return self.get_response(request)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's CONTENT_SECURITY_POLICY on HTML pages (home, admin, docs, the browsable API).

    A JSON response is never rendered as a document, so it goes without the header: the policy is not
    built on the API's hot path (and cached catalogue answers never reach this middleware at all).
    """

    def process_response(self, request, response):
        if not response.get('Content-Type', '').startswith('text/html'):
            return response
        return super().process_response(request, response)
