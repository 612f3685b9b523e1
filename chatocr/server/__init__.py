"""chatocr as a service: ``chatocr serve`` (HTTP API + web page) and ``chatocr mcp`` (MCP over stdio).

Needs the ``server`` extra (``pip install "chatocr[server]"``: FastAPI, uvicorn,
python-multipart, mcp).  Importing this package is cheap: FastAPI is imported
by ``create_app`` and the MCP SDK by ``run_mcp``.
"""

from __future__ import annotations

from .settings import ServerOptions, default_data_dir

__all__ = ["ServerOptions", "DocumentService", "create_app", "default_data_dir", "run_mcp", "run_server"]

_INSTALL = 'the chatocr server needs its extra: pip install "chatocr[server]"'


def __getattr__(name: str):
    if name == "DocumentService":
        from .service import DocumentService

        return DocumentService
    if name in ("create_app", "run_server"):
        try:
            from . import app
        except ImportError as e:
            raise ImportError(f"{_INSTALL} ({e})") from e
        return {"create_app": app.create_app, "run_server": _run_server}[name]
    if name == "run_mcp":
        from .mcp_server import run_mcp

        return run_mcp
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _run_server(options: ServerOptions, *, host: str = "127.0.0.1", port: int = 8000, log_level: str = "info") -> None:
    """Start the service and serve until interrupted (what ``chatocr serve`` runs)."""
    import uvicorn

    from .app import create_app
    from .service import DocumentService

    service = DocumentService(options).start()  # a bad LLM spec or key fails here, before the port opens
    try:
        app = create_app(service=service)
        uvicorn.run(app, host=host, port=port, log_level=log_level, timeout_graceful_shutdown=5)
    finally:
        service.close()
