"""Fast read representations, compiled from a serializer class's declared fields.

DRF renders every field of every object through `get_attribute` and `to_representation`; on a page of
products that machinery cost more than the page's queries. A `Representation` reads a serializer
class's fields once and renders plain data with the same keys, nesting and values:

- model instances (`render_objects`): a field's value is the attribute its `source` names;
- plain rows (`render_rows`), the dicts `values(*representation.columns())` returns: a field's value is
  the row's key for its lookup path (`items__product__title`), so one joined query can feed a nested
  representation, and a nested list's rows are the list the row holds under its path.

Values the database gives already in their representation's type (ints, strings, decimals with the
field's places) are copied; every other value goes through its field's own `to_representation`, and
file names become URLs as DRF's FileField makes them. `test_fast_representations` compares the result
with DRF's for every serializer rendered here.
"""
import operator
from decimal import Decimal
from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models.constants import LOOKUP_SEP
from django.utils.encoding import filepath_to_uri
from rest_framework import fields as drf_fields
from rest_framework import relations, serializers
from rest_framework.settings import api_settings

# DRF fields whose to_representation returns a model field's database value unchanged.
COPIED_WHEN_MODEL_FIELD = {
    drf_fields.IntegerField: (models.IntegerField, models.AutoField),
    drf_fields.CharField: (models.CharField, models.TextField),
    drf_fields.BooleanField: (models.BooleanField,),
}


@cache
def representation_of(serializer_class):
    return Representation(serializer_class)


class Representation:
    """What `serializer_class` renders, for read-only use.

    Its fields are read once, from an instance without a context: the request only makes file URLs
    absolute, as for DRF's FileField; fields that read the context otherwise are not for this.
    """

    def __init__(self, serializer_class):
        self.serializer_class = serializer_class
        self.model = getattr(getattr(serializer_class, 'Meta', None), 'model', None)
        self.fields = [(name, field) for name, field in serializer_class().fields.items() if not field.write_only]

    @cache  # noqa: B019 (representations live as long as their serializer classes: for the process)
    def columns(self, prefix=''):
        """The `values()` lookups of the declared model fields, nested serializers' included.

        Sources that are no column (properties such as `total_price`) are left to the query to annotate.
        """
        columns = []
        for name, field in self.fields:
            if isinstance(field, serializers.ListSerializer):
                columns += representation_of(type(field.child)).columns(f'{prefix}{field.source}{LOOKUP_SEP}')
            elif isinstance(field, serializers.BaseSerializer):
                columns += representation_of(type(field)).columns(f'{prefix}{field.source}{LOOKUP_SEP}')
            elif self.model_field(field) is not None:
                columns.append(prefix + field.source)
        return tuple(columns)

    def model_field(self, field):
        """The concrete model field a serializer field reads directly, if any."""
        if self.model is None or '.' in field.source:
            return None
        try:
            model_field = self.model._meta.get_field(field.source)
        except FieldDoesNotExist:
            return None
        return model_field if model_field.concrete else None

    def render_objects(self, objects, *, context=None, related=None):
        """Each object's representation. `related` maps a nested list's field name to a function giving an
        object's rows for it (as `render_rows` takes them); other nested lists are read from the object."""
        render = self.compiled(rows=False, prefix='', related=frozenset(related or ()))
        scope = Scope(context, related)
        return [render(obj, scope) for obj in objects]

    def render_rows(self, rows, *, context=None, prefix=''):
        """Each row's representation: rows as `values()` gives them, keys prefixed as in a joined query."""
        render = self.compiled(rows=True, prefix=prefix, related=frozenset())
        scope = Scope(context, None)
        return [render(row, scope) for row in rows]

    @cache  # noqa: B019 (representations live as long as their serializer classes: for the process)
    def compiled(self, *, rows, prefix, related):
        """A function rendering one object (or row) in a Scope: the copied values read at once, the others
        converted. Compiled once per way of reading."""
        copied, converted = [], []
        for name, field in self.fields:
            path, convert = self.reader(name, field, rows=rows, prefix=prefix, related=related)
            if convert is None:
                copied.append((name, path))
            else:
                converted.append((name, path, convert))
        read = operator.itemgetter if rows else operator.attrgetter
        copied_keys = [name for name, _ in copied]
        read_copied = read(*(path for _, path in copied)) if len(copied) > 1 else one_or_none(read, copied)
        converted = [(name, read(path) if isinstance(path, str) else path, convert)
                     for name, path, convert in converted]
        template = dict.fromkeys(name for name, _ in self.fields)

        def render(obj, scope):
            representation = template.copy()  # the declared key order
            representation.update(zip(copied_keys, read_copied(obj)))
            for name, read_value, convert in converted:
                value = read_value(obj) if read_value is not RELATED else scope.related[name](obj)
                representation[name] = None if value is None else convert(value, scope)
            return representation
        return render

    def reader(self, name, field, *, rows, prefix, related):
        """(where the field's value is, how to convert it): a path (or a function of the object, or
        RELATED), and a function of the value and the Scope, or None when the value is copied."""
        path = prefix + field.source.replace('.', LOOKUP_SEP) if rows else field.source
        if isinstance(field, serializers.ListSerializer):
            child = representation_of(type(field.child))
            if rows:  # the rows of a joined query, keyed by this field's path then the child's
                return path, each(child.compiled(rows=True, prefix=path + LOOKUP_SEP, related=frozenset()))
            if name in related:
                return RELATED, each(child.compiled(rows=True, prefix='', related=frozenset()))
            render_child = child.compiled(rows=False, prefix='', related=frozenset())
            return path, lambda manager, scope: [render_child(obj, scope) for obj in manager.all()]
        if isinstance(field, serializers.BaseSerializer):
            child = representation_of(type(field))
            if rows:  # the same row, under this field's path
                return identity, child.compiled(rows=True, prefix=path + LOOKUP_SEP, related=frozenset())
            return path, child.compiled(rows=False, prefix='', related=frozenset())
        if field.source == '*':  # the whole object (a SerializerMethodField's)
            to_representation = field.to_representation
            return identity, lambda obj, scope: to_representation(obj)
        model_field = self.model_field(field)
        if isinstance(field, relations.PrimaryKeyRelatedField) and model_field is not None and field.pk_field is None:
            return (path if rows else model_field.attname), None  # the id, as values() gives it
        if isinstance(field, drf_fields.FileField) and model_field is not None:
            return path, lambda file, scope: scope.media_url(model_field)(file if isinstance(file, str) else file.name)
        if model_field is not None and copies(field, model_field):
            return path, None
        if isinstance(field, drf_fields.DecimalField) and not coerces(field):
            return path, decimal_conversion(field)
        to_representation = field.to_representation
        return path, lambda value, scope: to_representation(value)


class Scope:
    """What one render depends on besides the data: the request (absolute URLs) and the related rows given."""

    def __init__(self, context, related):
        self.request = (context or {}).get('request')
        self.related = related
        self.media_urls = {}

    def media_url(self, model_field):
        if model_field not in self.media_urls:
            self.media_urls[model_field] = media_url_maker(self.request, model_field.storage)
        return self.media_urls[model_field]


# A field whose value the Scope's related rows give.
RELATED = object()


def copies(field, model_field):
    """Whether DRF's representation of this model field's database values is the value itself."""
    if isinstance(field, drf_fields.DecimalField):
        return (isinstance(model_field, models.DecimalField) and field.decimal_places == model_field.decimal_places
                and not coerces(field))
    if isinstance(field, drf_fields.BigIntegerField) and getattr(
            field, 'coerce_to_string', api_settings.COERCE_BIGINT_TO_STRING):
        return False
    return any(isinstance(field, drf_type) and isinstance(model_field, model_types)
               for drf_type, model_types in COPIED_WHEN_MODEL_FIELD.items())


def coerces(field):
    """Whether a DecimalField's representation is other than a Decimal with its places."""
    return getattr(field, 'coerce_to_string', api_settings.COERCE_DECIMAL_TO_STRING) or field.normalize_output


def decimal_conversion(field):
    """A computed decimal's conversion: a Decimal that already has the field's places and fits its digits
    is what DRF's quantize would return; any other value goes through the field."""
    exponent, max_digits, to_representation = -field.decimal_places, field.max_digits, field.to_representation

    def convert(value, scope):
        if type(value) is Decimal:
            _, digits, value_exponent = value.as_tuple()
            if value_exponent == exponent and (max_digits is None or len(digits) <= max_digits):
                return value
        return to_representation(value)
    return convert


def one_or_none(read, copied):
    """What read(*paths) gives for several paths, a tuple, for one path or none."""
    if not copied:
        return lambda obj: ()
    read_one = read(copied[0][1])
    return lambda obj: (read_one(obj),)


def each(render):
    return lambda items, scope: [render(item, scope) for item in items]


def identity(value):
    return value


def media_url_maker(request, storage):
    """A function giving a stored file's URL from its name as DRF's FileField does: absolute when there
    is a request, None without a name."""
    origin = request.build_absolute_uri('/')[:-1] if request is not None else ''
    base_url = storage.base_url if isinstance(storage, FileSystemStorage) else None

    def media_url(name):
        if not name:
            return None
        path = filepath_to_uri(name).lstrip('/') if base_url is not None else None
        if path is not None and '/.' not in '/' + path and '//' not in path:
            # What FileSystemStorage.url() returns (urljoin), without urljoin's parsing (which only
            # changes names with dot segments or empty ones).
            url = base_url + path
        else:
            url = storage.url(name)
        return origin + url if url.startswith('/') and not url.startswith('//') else url
    return media_url
