"""Payments: the providers behind one small interface (providers.py) and the services that apply what
they report to orders (services.py). docs/payments.md has the flow."""
