"""LOW-LEVEL: how many malloc arenas the C library may use in this process (glibc ``mallopt``).

Why: glibc gives each thread that allocates while another holds an arena an arena of its own, up to
eight per core. A server process runs dozens of worker threads; the memory OpenSSL, SQLite and Python's
larger objects take and give back is then spread over up to sixteen heaps on two cores, each growing
with its own fragmentation, so the resident size keeps creeping up under steady load (measured with
``benchmarks/bench_load.py``: the growth was in those heaps, not in Python objects). Python code runs
one thread at a time (the GIL), so a few arenas lose nothing to lock contention.

How: ``mallopt(M_ARENA_MAX, n)`` through the C library already linked into the process (its global
symbols), before the services start their threads. On a C library without ``mallopt`` (not glibc)
nothing changes.
"""

import ctypes

_M_ARENA_MAX = -8
"""glibc's parameter number for the arena limit (``malloc.h``)."""

SERVICE_ARENAS = 2
"""The limit ``capifsec serve`` sets: the main arena and one for all worker threads."""


def limit_malloc_arenas(count: int) -> bool:
    """Let the C library use at most ``count`` malloc arenas; whether it accepted the limit."""
    if count < 1:
        raise ValueError("at least one malloc arena is needed")
    library = ctypes.CDLL(None)
    mallopt = getattr(library, "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, count))
