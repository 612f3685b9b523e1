"""``ServerOptions``: where the service keeps its files, what it accepts, who may call it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ServerOptions", "default_data_dir", "ACCEPTED_FORMATS"]

ACCEPTED_FORMATS = ("pdf", "png", "jpeg", "tiff", "bmp", "webp", "heif", "avif", "jpeg2000")
Format = Literal["pdf", "png", "jpeg", "tiff", "bmp", "webp", "gif", "heif", "avif", "jpeg2000"]


def default_data_dir() -> Path:
    """``$CHATOCR_DATA_DIR``, else ``$XDG_DATA_HOME/chatocr``, else ``~/.local/share/chatocr``."""
    env = os.environ.get("CHATOCR_DATA_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share") / "chatocr"


class ServerOptions(BaseModel):
    """Options of ``chatocr serve`` (and of ``create_app``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir, description="Uploads, parsed documents, metadata")
    llm: str = Field("builtin", description="Backend spec of the shared agent (see chatocr.llm.spec)")
    max_upload_bytes: Annotated[int, Field(ge=1)] = Field(50 * 1024 * 1024, description="Largest upload")
    max_pages: Annotated[int, Field(ge=1)] = Field(500, description="Most pages of one document")
    formats: tuple[Format, ...] = Field(ACCEPTED_FORMATS, description="Accepted formats, checked by content")
    api_token: str | None = Field(None, repr=False, description="When set, /v1 needs 'Authorization: Bearer TOKEN'")
    cors_origins: tuple[str, ...] = Field((), description="Origins allowed by CORS; empty: CORS off")
    parse_workers: Annotated[int, Field(ge=1, le=16)] = Field(1, description="Documents parsed at once")
    max_queued: Annotated[int, Field(ge=1)] = Field(200, description="Documents waiting to be parsed before 503")
    page_dpi: Annotated[int, Field(ge=36, le=300)] = Field(110, description="Resolution of PDF page images")
    max_sessions: Annotated[int, Field(ge=1)] = Field(1000, description="Chat sessions kept (least recent dropped)")
    max_open_documents: Annotated[int, Field(ge=1)] = Field(32, description="Parsed documents kept in memory")
    max_interrupted: Annotated[int, Field(ge=1)] = Field(
        3, description="A parse interrupted this often by a server stop is marked failed instead of re-queued"
    )

    @classmethod
    def from_env(cls, **overrides) -> ServerOptions:
        """Options from ``CHATOCR_*`` variables; ``overrides`` that are not None win."""
        env: dict = {}
        if os.environ.get("CHATOCR_DATA_DIR"):
            env["data_dir"] = Path(os.environ["CHATOCR_DATA_DIR"]).expanduser()
        if os.environ.get("CHATOCR_LLM"):
            env["llm"] = os.environ["CHATOCR_LLM"]
        if os.environ.get("CHATOCR_API_TOKEN"):
            env["api_token"] = os.environ["CHATOCR_API_TOKEN"]
        if os.environ.get("CHATOCR_MAX_UPLOAD_MB"):
            env["max_upload_bytes"] = int(float(os.environ["CHATOCR_MAX_UPLOAD_MB"]) * 1024 * 1024)
        if os.environ.get("CHATOCR_MAX_PAGES"):
            env["max_pages"] = int(os.environ["CHATOCR_MAX_PAGES"])
        if os.environ.get("CHATOCR_CORS_ORIGINS"):
            env["cors_origins"] = tuple(o.strip() for o in os.environ["CHATOCR_CORS_ORIGINS"].split(",") if o.strip())
        env.update({k: v for k, v in overrides.items() if v is not None and v != ()})
        return cls(**env)
