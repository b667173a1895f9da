"""One module per concern; each exposes `router` (see api/app.py ROUTE_MODULES)."""
