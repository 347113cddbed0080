from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from core.views import HomeView, RedocView, SchemaView, SwaggerView, favicon, health
from store.dashboard import dashboard_view

admin.site.site_header = 'Storefront Admin'
admin.site.site_title = 'Storefront Admin'
admin.site.index_title = 'Admin Dashboard'

urlpatterns = [
    path('', HomeView.as_view(), name='home'),
    path('favicon.ico', favicon, name='favicon'),
    path('admin/dashboard/', dashboard_view, name='admin-dashboard'),  # before the admin's catch-all
    path('admin/', admin.site.urls),
    path('healthz/', health, name='health'),
    path('store/', include('store.urls')),
    *([path('store/', include('store_custom.urls'))] if apps.is_installed('store_custom') else []),
    path('auth/', include('core.urls')),
    path('api/schema/', SchemaView.as_view(), name='schema'),
    path('api/docs/', SwaggerView.as_view(url_name='schema'), name='swagger-ui'),
    path('api/redoc/', RedocView.as_view(url_name='schema'), name='redoc'),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    urlpatterns += [re_path(rf'^{settings.MEDIA_URL.lstrip("/")}(?P<path>.*)$', serve,
                            {'document_root': settings.MEDIA_ROOT})]

if 'debug_toolbar' in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()

if 'silk' in settings.INSTALLED_APPS:
    urlpatterns += [path('silk/', include('silk.urls', namespace='silk'))]

handler400 = 'core.views.bad_request'
handler403 = 'core.views.permission_denied'
handler404 = 'core.views.page_not_found'
handler500 = 'core.views.server_error'
