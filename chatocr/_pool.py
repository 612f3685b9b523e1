"""The pages of one file read side by side in worker processes (``chatocr ocr FILE --workers N``,
``DocumentParser(workers=N)``), coming back in order."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor

from .errors import ChatOCRError

__all__ = ["in_order", "page_runs", "start_method", "until_failure"]


def start_method():
    """How worker processes start: never by forking the caller, whose threads (a web server's, ONNX
    Runtime's) may hold a lock that the copy would wait on for ever. A fork server where the platform
    has one (a clean process forks the workers), else spawn."""
    return multiprocessing.get_context("forkserver" if sys.platform != "win32" and sys.platform != "darwin"
                                       else "spawn")


def page_runs(numbers: Sequence[int], workers: int) -> list[tuple[int, ...]]:
    """``numbers`` in runs of a few pages, several runs per worker: each run opens the file once,
    and no worker waits long for the others at the end."""
    size = max(1, min(8, len(numbers) // (4 * workers)))
    return [tuple(numbers[i:i + size]) for i in range(0, len(numbers), size)]


def until_failure(items: Callable[[], Iterable]) -> tuple[list, ChatOCRError | None]:
    """In a worker, what a task of :func:`in_order` returns: the items of ``items()`` taken until
    one fails, and the ``ChatOCRError`` that stopped them, if one did."""
    done: list = []
    try:
        for item in items():
            done.append(item)
    except ChatOCRError as e:
        return done, e
    return done, None


def in_order(workers: int, initializer: Callable[..., None], initargs: tuple, task: Callable, tasks: list) -> Iterator:
    """The items that ``task`` (a module-level function: one of ``tasks`` → ``(items, error or
    None)``) gives in ``workers`` processes, each started with ``initializer(*initargs)``: in the
    order of ``tasks``, each as soon as it and those before it are done; a task's error is raised
    after its items.  After an error, or when the caller stops early, the tasks not started are
    dropped."""
    pool = ProcessPoolExecutor(max_workers=workers, initializer=initializer, initargs=initargs,
                               mp_context=start_method())
    try:
        for items, failure in pool.map(task, tasks):
            yield from items
            if failure is not None:
                raise failure
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
