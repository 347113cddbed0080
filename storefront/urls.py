from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from core.views import health

admin.site.site_header = 'Storefront Admin'
admin.site.index_title = 'Admin Dashboard'

urlpatterns = [
    path('admin/', admin.site.urls),
    path('healthz/', health, name='health'),
    path('store/', include('store.urls')),
    path('auth/', include('core.urls')),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

if 'debug_toolbar' in settings.INSTALLED_APPS:
    from debug_toolbar.toolbar import debug_toolbar_urls

    urlpatterns += debug_toolbar_urls()

handler404 = 'core.views.page_not_found'
handler500 = 'core.views.server_error'
