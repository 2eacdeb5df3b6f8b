"""The service process's malloc arena limit (impl.malloc_arenas)."""

import platform

import pytest

from impl.malloc_arenas import SERVICE_ARENAS, limit_malloc_arenas


def test_glibc_accepts_the_service_limit() -> None:
    assert limit_malloc_arenas(SERVICE_ARENAS) is (platform.libc_ver()[0] == "glibc")


def test_no_arena_at_all_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        limit_malloc_arenas(0)
