from django.apps import AppConfig


class StoreCustomConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'store_custom'
    verbose_name = 'Store customisations'

    def ready(self):
        from . import signals
        signals.connect()
