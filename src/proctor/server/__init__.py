"""The HTTP API: a thin FastAPI shell that translates JSON to and from the gateway."""

from proctor.server._app import create_app, serve

__all__ = ["create_app", "serve"]
