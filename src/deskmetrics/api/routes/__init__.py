"""One module per concern; each exposes `router` (assembled in api/app.py)."""
