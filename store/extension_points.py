"""What other apps may add to the store's API, from their AppConfig.ready(): store knows none of them.

- `product_filter_backends`: extra filter backends of /store/products/ (store_custom adds `?tag=`).
"""
product_filter_backends = []


def add_product_filter_backend(backend):
    if backend not in product_filter_backends:
        product_filter_backends.append(backend)
