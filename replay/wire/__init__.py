"""The one place where a trace step becomes wire traffic.

:class:`StepDriver` runs a trace's steps on a :class:`~replay.target.Target` through the TS 29.222
REST APIs, the CAPIF-2e interfaces and the target's out-of-band operations, and nothing else of the
replayer sends anything: the plan (:mod:`replay.plan`), the verdict (:mod:`replay.judge`), the report
and the targets' descriptions stay free of requests.

* :mod:`replay.wire.driver` -- which function plays each action;
* :mod:`replay.wire.capif1e`, :mod:`~replay.wire.capif2e`, :mod:`~replay.wire.capif3`,
  :mod:`~replay.wire.operator` -- the steps, by reference point;
* :mod:`replay.wire.actors` -- who plays whom, and the lookups the steps share;
* :mod:`replay.wire.connection` -- connections and their outcomes as observations.
"""

from replay.wire.driver import HANDLERS, StepDriver

__all__ = ["HANDLERS", "StepDriver"]
