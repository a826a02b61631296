"""The trust boundary: learner code runs here, and only plain values cross it.

Threat model. A submission is hostile: its code may try to read other
students' work, the instructor's solutions, hidden tests or the grading seed;
write the gradebook; forge its verdicts; exhaust memory, processes, disk or
time; or attack whoever opens its outputs. So:

* ``kernel``: each submission runs in a bubblewrap sandbox (no network, the
  course and gradebook hidden, a size-capped private ``/tmp``), under the
  limits of ``limits/`` (cgroup v2, cgroup v1 or rlimits);
* ``runner`` (inside the sandbox) executes cells in an IPython shell and
  answers the grader over two pipes; ``bridge`` is its side of function calls;
* ``remote`` hands test code proxies of the learner's functions: a call runs
  in the sandbox and returns plain numbers, every comparison runs in the grader;
* ``trusted`` is the nbgrader step (``TrustedExecute``) that runs learner
  cells in the sandbox and test cells in the grader;
* ``provenance`` records how each grade was made (sandbox, limits that held).

What is not defended, and why, is in README.md ("How grading decides").
"""
