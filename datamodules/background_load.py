"""Run one function in a background thread and get its result (or its exception) later."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


def start_in_background(fn: Callable[..., Any], *args: Any, name: str, **kwargs: Any) -> Future:
    """Call ``fn(*args, **kwargs)`` in a new thread; ``.result()`` waits and re-raises its errors.

    Worth it where the main thread would otherwise wait for the work, or where the work leaves
    the GIL (file reads, decompression) or the main thread does (GPU steps). Matplotlib drawing
    holds the GIL, and on a 2-core machine torch's CPU steps use both cores, so there the overlap
    gains little.
    """
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
    future = executor.submit(fn, *args, **kwargs)
    executor.shutdown(wait=False)  # the thread exits once fn returns
    return future
