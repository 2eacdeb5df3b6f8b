"""The ways a replay ends before it judges a trace."""


class TraceError(ValueError):
    """The input is not a trace (or a results file holding traces): bad input, one line."""


class NotReplayableError(Exception):
    """The trace needs something the target cannot do; ``reason`` says what."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TargetLacksError(Exception):
    """The target cannot give what the trace needs (a capability, AEFs, APIs, onboarding secrets):
    not a divergence, a description that runs short. ``missing`` says what, as "target lacks ..."
    ends."""

    def __init__(self, missing: str) -> None:
        super().__init__(f"target lacks {missing}")
        self.missing = missing
        self.reason = f"target lacks {missing}"
