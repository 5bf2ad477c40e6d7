"""Side-by-side timing on a noisy machine: contenders interleaved round by round, medians, paired ratios."""

from __future__ import annotations

import contextlib
import gc
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Timings:
    """Seconds per run, by contender: wall clock (perf_counter) and this process's CPU (process_time, all threads)."""

    wall: dict[str, list[float]]
    cpu: dict[str, list[float]]


def interleaved(
    contenders: Mapping[str, Callable[[], Any]],
    *,
    rounds: int,
    check: Callable[[str, Any], None] | None = None,
    warmup: int = 1,
    label: str = "",
) -> Timings:
    """Times of `rounds` runs of each contender.

    Every round runs each contender once, in an order rotated by one each round (no contender is always first
    after a gc or always last), after `warmup` unrecorded rounds. `check(name, result)` sees every result.
    """
    names = list(contenders)
    timings = Timings({name: [] for name in names}, {name: [] for name in names})
    for round_ in range(-warmup, rounds):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            result = contenders[name]()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if check is not None:
                check(name, result)
            if round_ >= 0:
                timings.wall[name].append(wall)
                timings.cpu[name].append(cpu)
        progress(f"{label} round {round_ + 1}/{rounds}" if round_ >= 0 else f"{label} warm-up")
    return timings


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(times: Mapping[str, list[float]], a: str, b: str) -> float:
    """Median over rounds of time(a) / time(b): measured within the same round, so drift cancels out."""
    return statistics.median(x / y for x, y in zip(times[a], times[b], strict=True))


def spread(values: list[float]) -> str:
    """The interquartile range relative to the median, as a percentage: how noisy the measurement was."""
    if len(values) < 4:
        return "n/a"
    q1, _, q3 = statistics.quantiles(values, n=4)
    return f"±{(q3 - q1) / 2 / statistics.median(values) * 100:.0f}%"


def progress(message: str) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r\x1b[K{message}")
        sys.stderr.flush()


@contextlib.contextmanager
def one_cpu() -> Iterator[str]:
    """Pin this thread, and the threads it starts, to one CPU; yields which CPU, or "" when it cannot."""
    if not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2:
        yield ""
        return
    before = os.sched_getaffinity(0)
    cpu = min(before)
    os.sched_setaffinity(0, {cpu})  # on Linux, pid 0 is the calling thread; new threads inherit its mask
    try:
        yield f"CPU {cpu}"
    finally:
        os.sched_setaffinity(0, before)
