"""Where the jobs run: in this process, in a local process pool (the default), or as Ray tasks.

Each executor takes jobs with ``submit`` and hands back finished ones with ``wait``; the data is
sent to each worker once (the pool's initializer, Ray's object store), not with every job.
"""

from __future__ import annotations

import os
from typing import Any

from ..errors import ArchwiseError
from .fit import Job, run_job
from .prepare import Prepared

__all__ = ["Executor", "make_executor", "default_workers", "EXECUTORS"]

EXECUTORS = ("local", "ray")


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Executor:
    name = "inline"

    def submit(self, job: Job) -> None:
        raise NotImplementedError

    def wait(self) -> list[tuple[Job, dict[str, Any]]]:
        """Block until at least one job finishes; return the finished ones."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class InlineExecutor(Executor):
    """One worker: run each job here, in submission order (for debugging and for one core)."""

    name = "inline"

    def __init__(self, data: Prepared) -> None:
        self.data = data
        self.queue: list[Job] = []

    def submit(self, job: Job) -> None:
        self.queue.append(job)

    def wait(self) -> list[tuple[Job, dict[str, Any]]]:
        job = self.queue.pop(0)
        return [(job, run_job(job, self.data))]


_DATA: Prepared | None = None


def _init_worker(data: Prepared) -> None:
    global _DATA
    _DATA = data


def _pool_job(job: Job) -> dict[str, Any]:
    assert _DATA is not None, "the worker was started without its data"
    return run_job(job, _DATA)


class PoolExecutor(Executor):
    """A process pool sized to the cores; workers are spawned (not forked) so torch starts clean."""

    name = "local"

    def __init__(self, data: Prepared, workers: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_init_worker, initargs=(data,))
        self.running: dict[Any, Job] = {}

    def submit(self, job: Job) -> None:
        self.running[self.pool.submit(_pool_job, job)] = job

    def wait(self) -> list[tuple[Job, dict[str, Any]]]:
        from concurrent.futures import FIRST_COMPLETED, wait

        done, _ = wait(list(self.running), return_when=FIRST_COMPLETED)
        return [(self.running.pop(f), f.result()) for f in done]

    def close(self) -> None:
        for f in self.running:
            f.cancel()
        self.pool.shutdown(wait=True, cancel_futures=True)


class RayExecutor(Executor):
    """Every job a Ray task (one CPU each) on the cluster at ``address``, or on a local Ray started here.

    An already connected driver is used as it is and left connected; one this executor connected or
    started is shut down (disconnected, for a cluster) at the end."""

    name = "ray"

    def __init__(self, data: Prepared, workers: int, address: str | None) -> None:
        try:
            import ray
        except ImportError:
            raise ArchwiseError("--executor ray needs Ray: pip install 'archwise[ray]', or use --executor local") \
                from None
        self.ray = ray
        self.started = False
        if not ray.is_initialized():
            try:
                import logging

                quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
                if address:
                    _reachable(address)  # Ray itself retries an unreachable address for minutes
                    ray.init(address=address, **quiet)
                else:
                    ray.init(num_cpus=workers, include_dashboard=False, **quiet)
            except (ConnectionError, RuntimeError, ValueError) as err:
                where = f"the Ray cluster at {address}" if address else "a local Ray"
                raise ArchwiseError(f"cannot start {where}: {str(err).strip().splitlines()[0]}; check --ray-address "
                                    "or use --executor local") from None
            self.started = True
        self.data_ref = ray.put(data)
        self.task = ray.remote(num_cpus=1)(run_job)
        self.running: dict[Any, Job] = {}

    def submit(self, job: Job) -> None:
        self.running[self.task.remote(job, self.data_ref)] = job

    def wait(self) -> list[tuple[Job, dict[str, Any]]]:
        done, _ = self.ray.wait(list(self.running), num_returns=1)
        return [(self.running.pop(ref), self.ray.get(ref)) for ref in done]

    def close(self) -> None:
        for ref in self.running:
            self.ray.cancel(ref, force=True)
        self.running.clear()
        if self.started:
            self.ray.shutdown()


def _reachable(address: str, timeout: float = 3.0) -> None:
    """Refuse at once a ``host:port`` (or ``ray://host:port``) where nothing listens."""
    import socket

    if address == "auto" or ":" not in address:
        return
    host, _, port = address.split("://")[-1].rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            return
    except ValueError:
        raise ArchwiseError(f"cannot read --ray-address '{address}'; expected host:port, such as 10.0.0.5:6379, "
                            "or ray://host:10001") from None
    except OSError as err:
        raise ArchwiseError(f"no Ray cluster answers at {address} ({err.strerror or err}); start one with "
                            "`ray start --head`, or leave out --ray-address to start a local Ray") from None


def make_executor(kind: str, data: Prepared, workers: int, ray_address: str | None = None) -> Executor:
    if kind not in EXECUTORS:
        raise ArchwiseError(f"unknown executor '{kind}'; expected local or ray")
    if kind == "ray":
        return RayExecutor(data, workers, ray_address)
    if ray_address:
        raise ArchwiseError("--ray-address is for --executor ray")
    return InlineExecutor(data) if workers <= 1 else PoolExecutor(data, workers)
