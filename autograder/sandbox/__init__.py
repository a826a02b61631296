"""The trust boundary: learner code runs here, and only plain values cross it.

Threat model. A submission is hostile: its code may try to read other
students' work, the instructor's solutions, hidden tests or the grading seed;
write the gradebook; forge its verdicts; exhaust memory, processes, disk or
time; or attack whoever opens its outputs. So:

* ``kernel``: each submission runs in a bubblewrap sandbox built from an
  allowlist (the interpreter, the environment and the course's packages and
  data, read-only, and a size-capped private ``/tmp``; nothing else of the
  machine, no socket), with its own network namespace and the seccomp filter
  of ``seccomp`` (no socket but ``AF_UNIX``), under the limits of ``limits/``
  (cgroup v2, cgroup v1 or rlimits);
* ``runner`` (inside the sandbox) executes cells in an IPython shell and
  answers the grader over two pipes; ``bridge`` is its side of function calls;
* ``remote`` hands test code proxies of the learner's functions: a call runs
  in the sandbox and returns plain numbers, every comparison runs in the grader;
  a function of the grader's handed to learner code (a provided object's
  method) crosses as a token, and each call made to it is answered by the
  grader's own object; an in-place write, which only the kernel can report,
  is a note and never costs points;
* ``trusted`` is the nbgrader step (``TrustedExecute``) that runs learner
  cells in the sandbox and the instructor's cells, in source order, in the
  grader: every name they define, data and objects alike, is the grader's,
  never the kernel's; nothing the kernel shows after the first test is kept;
* ``provenance`` records how each grade was made (sandbox, limits that held).

What is not defended, and why, is in README.md ("How grading decides").
"""
