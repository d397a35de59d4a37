"""Where points run: in this process, on a local process pool, or on Dask (a scheduler address or
a LocalCluster). Every backend is a ``concurrent.futures.Executor``, so the runner has one loop.
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Self

from ..errors import AccelsimError


class InProcessExecutor(Executor):
    """Runs each call at submit time in this process (``--workers 1``: no start-up, easy debugging)."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 - delivered through the future, as a pool would
            future.set_exception(exc)
        return future


@dataclass(frozen=True)
class ExecutorChoice:
    """Which backend to run on: ``workers`` local processes, or Dask at ``scheduler`` (an address
    such as tcp://host:8786), or a Dask LocalCluster of ``dask_local`` workers (``dask_processes``
    False runs its workers as threads of this process: for tests)."""

    workers: int = 1
    scheduler: str | None = None
    dask_local: int | None = None
    dask_processes: bool = True

    def describe(self) -> str:
        if self.scheduler:
            return f"dask scheduler {self.scheduler}"
        if self.dask_local:
            return f"dask LocalCluster ({self.dask_local} {'processes' if self.dask_processes else 'threads'})"
        return "this process" if self.workers == 1 else f"process pool ({self.workers} workers)"


class ExecutorHandle:
    """An open backend: ``executor``, its ``parallelism`` (points running at once) and ``restart()``
    for a process pool whose worker died. Close it with ``close()`` (or use it as a context manager)."""

    def __init__(self, choice: ExecutorChoice):
        self.choice = choice
        self._client = self._cluster = None
        self.executor = self._open()

    def _open(self) -> Executor:
        choice = self.choice
        if choice.scheduler or choice.dask_local:
            return self._open_dask()
        if choice.workers == 1:
            return InProcessExecutor()
        from .worker import init_pool_worker, warm_up

        pool = ProcessPoolExecutor(max_workers=choice.workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=init_pool_worker, initargs=(os.getpid(),))
        for _ in range(choice.workers):  # start the workers now; they import while points are validated
            pool.submit(warm_up)
        return pool

    def _open_dask(self) -> Executor:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise AccelsimError("Dask is not installed; install the extra: pip install 'accelsim[dask]'",
                                field="--scheduler" if self.choice.scheduler else "--dask-local") from None
        if self.choice.scheduler:
            try:
                self._client = Client(self.choice.scheduler, timeout=30)
            except (OSError, ValueError) as exc:  # ValueError: not an address (e.g. no port)
                raise AccelsimError(f"cannot reach the Dask scheduler: {exc}; expected tcp://HOST:PORT",
                                    field="--scheduler") from None
        else:
            self._cluster = LocalCluster(n_workers=self.choice.dask_local, threads_per_worker=1,
                                         processes=self.choice.dask_processes, dashboard_address=None)
            self._client = Client(self._cluster)
        return self._client.get_executor(pure=False)

    @property
    def parallelism(self) -> int:
        if self._client is not None:
            threads = sum(self._client.nthreads().values())
            return max(1, threads)
        return self.choice.workers

    def restart(self) -> None:
        """Replace a broken process pool (a worker died) with a fresh one."""
        if isinstance(self.executor, ProcessPoolExecutor):
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.executor = self._open()

    def close(self, cancel: bool = False) -> None:
        if self._client is not None:
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
            self._client = self._cluster = None
        else:
            if cancel and isinstance(self.executor, ProcessPoolExecutor):
                # interrupted: stop the points in flight now instead of letting them finish unseen
                for process in list((getattr(self.executor, "_processes", None) or {}).values()):
                    process.terminate()
            self.executor.shutdown(wait=not cancel, cancel_futures=cancel)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        self.close(cancel=exc_type is not None)
