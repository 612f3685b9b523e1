"""Give freed heap memory back to the operating system between pages.

Detection and recognition allocate and free large buffers for every page.
glibc keeps freed memory in its arenas, so a long run's resident size grows to
the sum of its worst pages; ``malloc_trim`` returns it.  Elsewhere a no-op.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import lru_cache


@lru_cache(maxsize=1)
def _malloc_trim():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.malloc_trim
    except (OSError, AttributeError):  # musl and other libcs have no malloc_trim
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def release_memory() -> None:
    """Return free heap pages to the OS (glibc only; otherwise nothing)."""
    fn = _malloc_trim()
    if fn is not None:
        fn(0)
