"""How the running parts start and stop, and close what they hold, around a ``with`` block.

A :class:`Service` (an HTTPS server, the CCF, the AEF, a whole deployment) starts on entering the block
and stops on leaving it; a :class:`Closable` (a client connection, the store) is open already and closes
on leaving it. :func:`start_all` starts several services as one: all of them listen, or none does.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from types import TracebackType
from typing import Self


class Service(ABC):
    """Something that listens between :meth:`start` and :meth:`stop`; ``with service:`` does both."""

    @abstractmethod
    def start(self) -> None:
        """Start listening."""

    @abstractmethod
    def stop(self) -> None:
        """Stop listening and release what the service holds."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


class Closable(ABC):
    """Something open from its creation until :meth:`close`; ``with`` closes it at the end."""

    @abstractmethod
    def close(self) -> None:
        """Release what it holds."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()


def start_all(services: Iterable[Service]) -> None:
    """Start ``services`` in order; if one fails to start, stop those already started and re-raise."""
    started: list[Service] = []
    try:
        for service in services:
            service.start()
            started.append(service)
    except BaseException:
        for service in started:
            service.stop()
        raise
