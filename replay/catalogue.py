"""What the replayer reads of the catalogue besides the trace format: the option values of a profile
(``spec/profiles.yaml``) and the option values that enable each action (``when`` in
``spec/actions``). With them a replay under ``recommended`` knows which steps of a trace are
procedures that profile does not have (the home CCF selecting where ``recommended`` has it relay, for
example): there the recommended deployment runs its own variant, which may refuse.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from impl.catalogue_profiles import ProfileError, locate_spec_dir, profile_options
from replay.errors import TraceError

ACTIONS_DIR = "actions"


class ActionConditions:
    """Each action's enabling option values, and a profile's option values, loaded once."""

    def __init__(self, profile: str, spec_dir: Path | None = None) -> None:
        try:
            folder = spec_dir or locate_spec_dir()
            self._options = profile_options(profile, folder)
            self._when: dict[str, Mapping[str, Any]] = {}
            for path in sorted((folder / ACTIONS_DIR).glob("*.yaml")):
                document = yaml.safe_load(path.read_text("utf-8")) or {}
                for action in document.get("actions", []):
                    self._when[action["id"]] = action.get("when") or {}
        except (ProfileError, OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as error:
            raise TraceError(f"cannot read the catalogue's actions and profiles: {error}") from None

    def enabled(self, action: str) -> bool:
        """Whether ``action`` is a procedure of the profile (unknown actions count as enabled)."""
        for option, allowed in self._when.get(action, {}).items():
            values = allowed if isinstance(allowed, list) else [allowed]
            if self._options.get(option) not in [str(value) for value in values]:
                return False
        return True
