"""The schema's error responses (core.schema.StorefrontAutoSchema), added through drf-spectacular's public API."""
import inspect
import re

import pytest

from core import schema as storefront_schema
from core.schema import ERROR_DESCRIPTIONS, ERROR_SCHEMA, StorefrontAutoSchema


@pytest.fixture(scope='module')
def operations(django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        paths = Client().get('/api/schema/', HTTP_ACCEPT='application/json').json()['paths']
    return {(method.upper(), path): operation for path, methods in paths.items() for method, operation in methods.items()}


def error_response(status):
    return {'content': {'application/json': {'schema': ERROR_SCHEMA}}, 'description': ERROR_DESCRIPTIONS[status]}


def test_a_paginated_filtered_list_can_refuse_its_filters_and_a_page_out_of_range(operations):
    responses = operations['GET', '/store/products/']['responses']
    assert list(responses) == ['200', '400', '401', '404']
    assert responses['400'] == error_response('400')
    assert responses['404'] == error_response('404')


def test_an_object_can_be_missing_and_a_protected_one_cannot_be_deleted(operations):
    assert list(operations['GET', '/store/products/{id}/']['responses']) == ['200', '401', '404']
    assert list(operations['DELETE', '/store/collections/{id}/']['responses']) == ['204', '401', '403', '404', '405']


def test_throttled_views_document_429(operations):
    assert operations['POST', '/auth/jwt/create/']['responses']['429'] == error_response('429')


def test_responses_a_view_declares_are_kept(operations):
    responses = operations['POST', '/auth/users/activation/']['responses']
    assert responses['403'] == {'description': 'Already active.'}  # declared with @extend_schema, not replaced
    assert responses['400'] == error_response('400')


def test_only_public_drf_spectacular_methods_are_overridden_or_called():
    overridden = [name for name in vars(StorefrontAutoSchema) if name.startswith('_') and not name.startswith('__')]
    assert overridden == []
    assert not re.search(r'\b(self|super\(\))\._[a-z]', inspect.getsource(storefront_schema))
