"""Projects: ``safescore.toml``, ``safescore init`` and the ``safescore run`` batch (SPEC 6, 9).

- :mod:`.config`: the config file, period arithmetic, the project's state file;
- :mod:`.lock`: one run at a time, the whole-folder swap and the repair after a crash;
- :mod:`.run`: the batch itself, all or nothing, idempotent;
- :mod:`.init`: a new project folder, optionally with a shipped example.
"""

from __future__ import annotations

from safescore.project.config import (
    ConfigError,
    ProjectConfig,
    ProjectError,
    find_config,
    last_ended_period,
    load_config,
)
from safescore.project.init import init_project
from safescore.project.lock import LockBusy, ProjectLock
from safescore.project.run import RunOutcome, execute, run_project

__all__ = [
    "ConfigError",
    "LockBusy",
    "ProjectConfig",
    "ProjectError",
    "ProjectLock",
    "RunOutcome",
    "execute",
    "find_config",
    "init_project",
    "last_ended_period",
    "load_config",
    "run_project",
]
