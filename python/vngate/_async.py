"""How a call runs for ``vngate.aio``: on a worker thread, the event loop free, a cancellation
that can never lose a money outcome. Here rather than in ``aio`` so that the generated async
methods (``_operations``) can call it; asyncio is imported on first use, not by ``import
vngate``."""

from __future__ import annotations

import threading
from typing import Any, Callable, Optional, TypeVar

from . import _vngate

_T = TypeVar("_T")


class _Guard:
    """Decides, under one lock, whether a call is sent or the task's cancellation wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self.sent = False
        self.abandoned: Optional[BaseException] = None

    def about_to_send(self, abandoned: Optional[BaseException]) -> None:
        import asyncio

        with self._lock:
            if self._cancelled:
                raise asyncio.CancelledError("cancelled before the request was sent")
            self.sent = True
            self.abandoned = abandoned

    def cancel(self) -> bool:
        """Marks the task cancelled; whether the request had already gone."""
        with self._lock:
            self._cancelled = True
            return self.sent


async def _run(method: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
    import asyncio
    import functools

    guard = _Guard()

    def work() -> _T:
        # The native client reads it on this thread: it sends only if the task was not
        # cancelled first, and tells the guard what a cancellation from then on reports.
        _vngate._set_async_guard(guard)
        try:
            return method(*args, **kwargs)
        finally:
            _vngate._set_async_guard(None)

    loop = asyncio.get_running_loop()
    future = loop.run_in_executor(None, functools.partial(work))
    # Once the task is cancelled nobody awaits the thread's result: taken here, so that asyncio
    # does not log "Future exception was never retrieved" for a call that was never sent.
    future.add_done_callback(lambda done: done.cancelled() or done.exception())
    try:
        # Shielded: cancelling the task must not pretend the thread's call stopped.
        return await asyncio.shield(future)
    except asyncio.CancelledError as cancelled:
        if guard.cancel() and guard.abandoned is not None:
            # The request may have reached the provider: the truth is "outcome unknown", and
            # asyncio's time limits (wait_for, timeout) let it through as it is, where a
            # CancelledError would have become a TimeoutError with this two causes deep.
            raise guard.abandoned from cancelled
        raise cancelled
