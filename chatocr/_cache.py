"""Where chatocr keeps what it can make again: parsed documents, exported encoders, fused models."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["default_cache_dir"]


def default_cache_dir() -> Path:
    """``$CHATOCR_CACHE_DIR``, else ``$XDG_CACHE_HOME/chatocr``, else ``~/.cache/chatocr``."""
    env = os.environ.get("CHATOCR_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "chatocr"
