from django.apps import AppConfig


class StoreCustomConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'store_custom'
    verbose_name = 'Store customisations'

    def ready(self):
        from store import extension_points

        from . import signals
        from .filters import TagFilterBackend
        signals.connect()
        extension_points.add_product_filter_backend(TagFilterBackend)
