"""How a grade was made: the course version, the notebook, the sandbox and the limits that held.

Each grading report (``<notebook>.grading.json``) carries one
:class:`GradingRecord`; the grades CSV and the JSON report of each student
repeat it, so an instructor can tell a grade made unsandboxed, or with weaker
limits, from one made in the sandbox.
"""

import functools
import hashlib
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path

from autograder.sandbox.limits import LIMIT_KINDS, NOT_ENFORCED


@dataclass(frozen=True)
class GradingRecord:
    """How one notebook of one submission was graded."""

    notebook: str
    """The notebook's file name."""
    notebook_sha256: str
    """SHA-256 of the notebook as submitted."""
    course_version: str
    """``git <commit>`` of the course folder when it is a clean git checkout, else ``source <sha256>``."""
    source_sha256: str
    """SHA-256 of the assignment's files in ``source/``: the tests and solutions graded against."""
    sandboxed: bool
    """Whether learner code ran under bubblewrap."""
    limits: dict = field(default_factory=dict)
    """memory, processes, cpu, disk, network -> what enforced it (``none`` if nothing)."""
    settings: dict = field(default_factory=dict)
    """The limits asked for: memory_mb, max_processes, disk_mb, cell_timeout, notebook_timeout."""

    def to_dict(self):
        """Plain data for JSON."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        """The inverse of :meth:`to_dict`; missing limits read as not enforced."""
        limits = {kind: data.get("limits", {}).get(kind, NOT_ENFORCED) for kind in LIMIT_KINDS}
        return cls(data["notebook"], data["notebook_sha256"], data["course_version"], data["source_sha256"],
                   bool(data["sandboxed"]), limits, dict(data.get("settings", {})))

    def limits_text(self):
        """The limits as one line for a CSV cell: ``memory=cgroup v2; processes=...``."""
        return "; ".join(f"{kind}={self.limits.get(kind, NOT_ENFORCED)}" for kind in LIMIT_KINDS)


def file_sha256(path):
    """SHA-256 of a file's bytes, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def folder_sha256(folder):
    """SHA-256 over the relative paths and bytes of every file in ``folder``, hex."""
    digest = hashlib.sha256()
    folder = Path(folder)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.lru_cache(maxsize=32)
def course_version(course_root, assignment):
    """``(course_version, source_sha256)`` of ``<course_root>/source/<assignment>``.

    The git commit names the version only where ``source/`` has no
    uncommitted change; otherwise the hash of the files themselves does.
    Cached per process: a batch grades one version.
    """
    source = Path(course_root) / "source" / assignment
    source_hash = folder_sha256(source) if source.is_dir() else ""

    def git(*args):
        try:
            done = subprocess.run(["git", "-C", str(course_root), *args], capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    # Tracked (a scratch course inside the repository is git-ignored) and unchanged.
    if commit and git("ls-files", "--", str(source)) and git("status", "--porcelain", "--", str(source)) == "":
        return f"git {commit}", source_hash
    return f"source {source_hash}", source_hash
