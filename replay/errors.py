"""The two ways a replay ends before it judges a trace."""


class TraceError(ValueError):
    """The input is not a trace (or a results file holding traces): bad input, one line."""


class NotReplayableError(Exception):
    """The trace needs something the target cannot do; ``reason`` says what."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
