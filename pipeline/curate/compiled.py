"""How seedforge compiles its inner loops (numba), in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import njit


def kernel(function: Callable[..., Any]) -> Any:
    """Compiled with numba's on-disk cache (next to the defining module, else under the user's
    cache directory, or NUMBA_CACHE_DIR): later runs load the machine code instead of compiling.
    Where no cache directory is writable (a read-only install without a home directory),
    numba refuses `cache=True` outright; then the kernels compile in every process that
    needs them (a few seconds, once per run) rather than fail."""
    try:
        return njit(cache=True, nogil=True)(function)
    except RuntimeError:
        return njit(nogil=True)(function)
