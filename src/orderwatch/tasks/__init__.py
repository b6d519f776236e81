"""Executors: where work runs (in this process, a local process pool; Celery later)."""

from orderwatch.tasks.executor import (
    Executor,
    InlineExecutor,
    ProcessPoolExecutor,
    TaskFailure,
    create_executor,
    default_workers,
)

__all__ = [
    "Executor",
    "InlineExecutor",
    "ProcessPoolExecutor",
    "TaskFailure",
    "create_executor",
    "default_workers",
]
