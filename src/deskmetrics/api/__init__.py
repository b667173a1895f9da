"""The HTTP API and the dashboard's server side (FastAPI): thin routes over the query layer."""

from deskmetrics.api.app import create_app

__all__ = ["create_app"]
