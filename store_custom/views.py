"""The store's products with tags and likes: the API side of the glue between store, tags and likes; and the
unsubscribe page of liked-product alerts."""
from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.mixins import CreateModelMixin, DestroyModelMixin, ListModelMixin
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

from likes.models import LikedItem
from likes.serializers import LikeSummarySerializer
from store.models import Product
from store.permissions import IsAdminOrReadOnly
from store.views import NestedViewSetMixin
from tags.models import Tag, TaggedItem
from tags.serializers import TagSerializer

from . import alerts

PRODUCT_PK = OpenApiParameter('product_pk', int, OpenApiParameter.PATH, description="The product's id.")


@extend_schema(parameters=[PRODUCT_PK])
class ProductTagViewSet(NestedViewSetMixin, ListModelMixin, CreateModelMixin, DestroyModelMixin, GenericViewSet):
    """A product's tags. Anyone reads them; staff add (by label) and remove them."""
    serializer_class = TagSerializer
    permission_classes = [IsAdminOrReadOnly]
    parent_model = Product
    parent_url_kwarg = 'product_pk'

    def get_queryset(self):
        if getattr(self, 'swagger_fake_view', False):
            # Generating the OpenAPI schema (maybe with no database at hand): the model is enough.
            return Tag.objects.none()
        return TaggedItem.objects.tags_of(Product, self.parent_pk)

    @extend_schema(
        summary='Tag the product',
        description=('Attach the tag with this label to the product, creating the tag if no tag has that '
                     'label yet (letter case ignored: an existing tag keeps its spelling). Idempotent.'),
        responses={
            201: OpenApiResponse(TagSerializer, description='The product did not carry the tag; now it does.'),
            200: OpenApiResponse(TagSerializer, description='The product already carried the tag; nothing changed.'),
        })
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        tag, created = TaggedItem.objects.tag(self.parent, serializer.validated_data['label'])
        response_status = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(tag).data, status=response_status)

    @extend_schema(
        summary='Untag the product',
        description='Detach the tag from the product (404 when the product does not carry it). The tag itself stays.')
    def destroy(self, request, *args, **kwargs):
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, tag):
        TaggedItem.objects.untag(self.parent, tag.pk)


LIKE_SUMMARY = OpenApiResponse(
    LikeSummarySerializer, description="The product's like count and whether the caller likes it.")


@extend_schema(parameters=[PRODUCT_PK])
class ProductLikeView(NestedViewSetMixin, GenericAPIView):
    """A product's likes: anyone reads the count; a logged-in user likes and unlikes (one like per user)."""
    serializer_class = LikeSummarySerializer
    permission_classes = [IsAuthenticatedOrReadOnly]
    parent_model = Product
    parent_url_kwarg = 'product_pk'

    def summary(self, request, status_code=status.HTTP_200_OK):
        return Response(self.get_serializer(LikedItem.objects.summary(request.user, self.parent)).data,
                        status=status_code)

    @extend_schema(summary="The product's likes", responses={200: LIKE_SUMMARY})
    def get(self, request, *args, **kwargs):
        return self.summary(request)

    @extend_schema(
        summary='Like the product',
        description='The caller likes the product. Idempotent: liking it again changes nothing.',
        request=None,
        responses={
            201: OpenApiResponse(LikeSummarySerializer, description='Liked now; the new like count.'),
            200: OpenApiResponse(LikeSummarySerializer, description='The caller already liked the product.'),
        })
    def post(self, request, *args, **kwargs):
        created = LikedItem.objects.like(request.user, self.parent)
        return self.summary(request, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary='Unlike the product',
        description=('The caller no longer likes the product. Idempotent: answers 200 with the like count '
                     'whether or not the caller liked it.'),
        request=None,
        responses={200: LIKE_SUMMARY})
    def delete(self, request, *args, **kwargs):
        LikedItem.objects.unlike(request.user, self.parent)
        return self.summary(request)


@method_decorator(csrf_exempt, name='dispatch')
class UnsubscribeView(View):
    """The unsubscribe link of liked-product alert e-mails: an HTML page, not an API route (outside the schema).

    GET only shows a button (mail scanners open links); POST opts the customer out. The token is the
    capability, so POST needs no session or CSRF token: RFC 8058 one-click unsubscribe (the e-mail's
    List-Unsubscribe-Post header) posts from the mail provider. A bad token is a 404.
    """
    http_method_names = ['get', 'post', 'head', 'options']

    def dispatch(self, request, *args, token, **kwargs):
        self.customer = alerts.customer_of_token(token)
        if self.customer is None:
            raise Http404('No such unsubscribe link.')
        return super().dispatch(request, *args, **kwargs)

    def page(self, request, unsubscribed):
        return render(request, 'store_custom/unsubscribe.html',
                      {'customer': self.customer, 'unsubscribed': unsubscribed, 'site_name': settings.SITE_NAME})

    def get(self, request):
        return self.page(request, unsubscribed=False)

    def post(self, request):
        alerts.opt_out(self.customer)
        return self.page(request, unsubscribed=True)
