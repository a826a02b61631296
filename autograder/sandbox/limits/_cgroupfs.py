"""What the two cgroup backends share: making, filling and removing one cgroup directory."""

import os
import signal
import time
import uuid


def new_name():
    """A fresh cgroup name for one sandbox."""
    return f"nn-grader-{uuid.uuid4().hex[:12]}"


def pids_in(path):
    """The processes in the cgroup at ``path`` (none if it is gone)."""
    try:
        return [int(p) for p in (path / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def kill_and_remove(path, attempts=50):
    """SIGKILL every process in the cgroup, then remove it; returns whether it is gone.

    A cgroup can only be removed once empty, and killed processes leave it a
    moment later, hence the retries.
    """
    for _ in range(attempts):
        for pid in pids_in(path):
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            path.rmdir()
            return True
        except FileNotFoundError:
            return True
        except OSError:
            time.sleep(0.05)
    return False
