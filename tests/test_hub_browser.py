"""A class on the hub, release to returned feedback, driven through Chromium (slow).

`python -m hub start` (what `make hub` runs) on a deployed copy of the
repository (tests/test_hub.py: :func:`deploy`) with two courses, called nn101
and nn202 here (each run names them anew: Unix groups are machine-wide): nn101
(an instructor and three students) and nn202 (another instructor, the third
student of nn101 and a student of its own). In the browser: each nn101
student logs in with the password the hub printed, fetches assignment 1 from
the Assignment List, presses Validate on their notebook (the reference
solution, a seeded bug from examples/, or a blank one) and submits it; the
third submits after the due date. The instructor grades the exchange's
inbound submissions directly with the course's `grade` as their own account
(nbgrader's timestamps: the course's per-day late penalty applies), gives a written answer its points in formgrader,
and releases feedback (`python -m hub feedback`). Each student fetches their
feedback in the Assignment List and reads it in Lab; the score on it is the
gradebook's. No one opens another's server, files or formgrader; the second
course's people see only theirs. Screenshots of each step go to
``test-artifacts/hub-*.png``; the cycle's duration and each user server's
memory are printed.
"""

import csv
import datetime
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from browser import browser, screenshot
from test_hub import (ASSIGNMENT, NOTEBOOK, PROXY, as_user, deploy, needs_root, release, unique_names,
                      write_roster)

pytestmark = pytest.mark.slow

# Unix groups are machine-wide: this run's courses get names of their own
# (tests/test_hub.py may provision at the same time).
C1, C2 = (f"nn{uuid.uuid4().hex[:6]}" for _ in range(2))
# What each nn101 student hands in; the third, late, hands in the seeded bug, so its
# score is neither full nor zero and the late penalty shows on it.
KINDS = ("reference", "blank", "bug_softmax_axis0")


@dataclass
class RunningHub:
    """A hub started by `python -m hub start`: its URL, the passwords it printed, its settings."""

    url: str
    passwords: dict
    settings: object
    python: Path
    log: Path
    process: subprocess.Popen
    users: dict = field(default_factory=dict)     # role name -> username

    def stop(self):
        """Stop the hub as Ctrl-C does (its proxy and services are in its process group)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _ports_free(first, count):
    for port in range(first, first + count):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def _hub_port():
    import random

    rng = random.Random()
    for _ in range(50):
        port = rng.randrange(20000, 40000)
        if _ports_free(port, 6):
            return port
    pytest.fail("no 6 free consecutive loopback ports")


def _printed_accounts(log):
    """username -> password, from the lines `make hub` prints once."""
    text = log.read_text()
    block = text.split("New accounts", 1)[1].split("Passwords:", 1)[0]
    return dict(re.findall(r"^  (\S+)  (\S+)$", block, re.MULTILINE))


@pytest.fixture(scope="module")
def hub():
    needs_root()
    inst1, s1, s2, s3, inst2, s4 = unique_names(6)
    users = {"inst1": inst1, "s1": s1, "s2": s2, "s3": s3, "inst2": inst2, "s4": s4}
    rows = [(C1, inst1, "instructor"), (C1, s1, "student"), (C1, s2, "student"),
            (C1, s3, "student"), (C2, inst2, "instructor"), (C2, s3, "student"),
            (C2, s4, "student")]
    folder = Path(tempfile.mkdtemp(prefix="nn-hub-browser-"))
    folder.chmod(0o755)
    process = None
    try:
        copy, python = deploy(folder / "app")
        roster = write_roster(folder / "roster.csv", rows)
        port, log = _hub_port(), folder / "hub.log"
        with open(log, "w") as out:
            process = subprocess.Popen([str(python), "-m", "hub", "start", "--roster", str(roster),
                                        "--hub-dir", str(folder / "hub"), "--port", str(port), "--proxy", str(PROXY)],
                                       stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                       # From the copy, as `make hub` runs from its repository: `-m`
                                       # puts the working folder first on the path, and from the
                                       # working tree the hub would lock (chmod 700) the tree's source/.
                                       cwd=copy)
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                pytest.fail(f"the hub exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(url + "hub/api", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    pytest.fail(f"the hub did not answer within 180 s:\n{log.read_text()[-3000:]}")
                time.sleep(1)
        from hub.provision import HubSettings

        settings = HubSettings.load(folder / "hub" / "state" / "hub.json")
        yield RunningHub(url, _printed_accounts(log), settings, python, log, process, users)
    finally:
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)    # the hub, its proxy and its services: our process group
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        from hub.provision import remove_groups, remove_users

        remove_users(users.values())
        remove_groups([f"{k}-{c}" for c in (C1, C2) for k in ("nbgrader", "formgrade")]
                      + list(users.values()))
        shutil.rmtree(folder, ignore_errors=True)


def _course(hub, course_id):
    return next(c for c in hub.settings.courses if c.course_id == course_id)


def _instructor(hub, user, course_id, *command, timeout=900):
    """A command the instructor types in a terminal of their own, in the course folder."""
    done = as_user(user, [str(hub.python), *command], hub.python, cwd=_course(hub, course_id).course_dir,
                   timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} as {user}:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _login(chromium, hub, user, next_url=""):
    """A new tab logged in as ``user``; ``next_url`` (a path) is opened instead of the user's Lab."""
    page = chromium.new_page(viewport={"width": 1400, "height": 900})
    page.goto(hub.url + "hub/login" + (f"?next={urllib.parse.quote(next_url)}" if next_url else ""))
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    return page


def _open_lab(page, hub, user):
    page.wait_for_url(re.compile(f"/user/{user}/lab"), timeout=180_000)
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=180_000)


def _assignment_list(page, hub, user):
    page.goto(hub.url + f"user/{user}/lab?reset")
    page.wait_for_selector(".lm-MenuBar-itemLabel:text-is('Nbgrader')", timeout=180_000)
    page.click(".lm-MenuBar-itemLabel:text-is('Nbgrader')")
    page.click(".lm-Menu-itemLabel:text-is('Assignment List')")
    return page.wait_for_selector("#nbgrader-assignment-list", timeout=60_000)


def _wait_text(page, selector, text, timeout=120):
    deadline = time.monotonic() + timeout
    while text not in page.inner_text(selector):
        if time.monotonic() > deadline:
            pytest.fail(f"{selector} never showed {text!r}: {page.inner_text(selector)[:500]}")
        page.wait_for_timeout(500)


def _fill(hub, user, kind, scratch):
    """Write the student's answers into their fetched notebook, as their editor would."""
    from examples.example_class import build_submission, load_examples

    example = next(e for e in load_examples(ASSIGNMENT) if e.student == kind)
    build_submission(example, scratch)
    target = Path(pwd.getpwnam(user).pw_dir) / C1 / ASSIGNMENT / NOTEBOOK
    shutil.copyfile(scratch / "submitted" / kind / ASSIGNMENT / NOTEBOOK, target)
    shutil.chown(target, user, user)


def _memory_mib(user):
    """Resident memory of every process of ``user`` (its server and kernels), in MiB."""
    out = subprocess.run(["ps", "-u", user, "-o", "rss="], capture_output=True, text=True).stdout
    return sum(int(x) for x in out.split()) / 1024


def _grades(course_dir):
    with open(Path(course_dir) / f"grades-{ASSIGNMENT}.csv", newline="") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def test_a_class_on_the_hub_from_release_to_feedback(hub, tmp_path):
    from lab_server import scratch_course

    started = time.monotonic()
    u = hub.users
    nn101 = _course(hub, C1)
    assert set(hub.passwords) == set(u.values()), "the hub did not print every account once"
    scratch = scratch_course(tmp_path / "answers")
    timings, memory = {}, {}

    # 1. The instructor releases assignment 1, due far ahead for now.
    release(hub.settings, nn101, hub.python, duedate="2099-01-01 00:00:00 UTC")
    # The course's late rule, where README says the instructor writes it (make hub rewrites nbgrader_config.py).
    policy = ('c.AssignLatePenalties.plugin_class = "autograder.grading.late.PerDayPenalty"\n'
              'c.PerDayPenalty.percent_per_day = 10\n')
    assert as_user(u["inst1"], ["sh", "-c", f"printf '%s' '{policy}' > nbgrader_config.local.py"],
                   cwd=nn101.course_dir).returncode == 0
    with browser() as chromium:
        page = _login(chromium, hub, u["inst1"], f"/services/{C1}/formgrader")
        page.wait_for_selector(f"td:has-text('{ASSIGNMENT}')", timeout=120_000)
        screenshot(page, "hub-01-instructor-formgrader-released")
        page.close()
        timings["release"] = time.monotonic() - started

        # 2. Each student fetches, fills in, validates and submits; the third after the due date.
        for student, kind in zip(("s1", "s2", "s3"), KINDS):
            user = u[student]
            if student == "s3":
                # Rounded up to the second: the earlier students, who submitted a moment ago, are on time.
                now = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=1)).strftime(
                    "%Y-%m-%d %H:%M:%S UTC")
                _instructor(hub, u["inst1"], C1, "-m", "nbgrader", "db", "assignment", "add", ASSIGNMENT,
                            f"--duedate={now}")
                time.sleep(2)
            page = _login(chromium, hub, user)
            _open_lab(page, hub, user)
            _assignment_list(page, hub, user)
            _wait_text(page, "#released_assignments_list", ASSIGNMENT)
            screenshot(page, f"hub-02-{student}-assignment-list")
            page.click("#released_assignments_list button:has-text('Fetch')")
            _wait_text(page, "#fetched_assignments_list", ASSIGNMENT)
            _fill(hub, user, kind, scratch)
            page.goto(hub.url + f"user/{user}/lab/tree/{C1}/{ASSIGNMENT}/{NOTEBOOK}?reset")
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.wait_for_selector(".validate-button", timeout=60_000)
            memory[user] = _memory_mib(user)
            page.click(".validate-button")
            dialog = page.wait_for_selector(".jp-Dialog-content", timeout=900_000)
            page.wait_for_timeout(500)
            validated = dialog.inner_text()
            screenshot(page, f"hub-03-{student}-validate-{kind}")
            if kind == "reference":
                assert "Success" in validated or "passed" in validated.lower(), validated[:1000]
            else:
                assert "failed" in validated.lower() or "error" in validated.lower(), validated[:1000]
            page.keyboard.press("Escape")
            _assignment_list(page, hub, user)
            _wait_text(page, "#fetched_assignments_list", ASSIGNMENT)
            page.click("#fetched_assignments_list button:has-text('Submit')")
            _wait_text(page, "#submitted_assignments_list", ASSIGNMENT)
            screenshot(page, f"hub-04-{student}-submitted")
            page.close()
        timings["students submitted"] = time.monotonic() - started

        # 3. The instructor grades the exchange's inbound with the course's grade, as README says.
        course_dir = nn101.course_dir
        old = as_user(u["inst1"], [str(hub.python), "-m", "hub", "collect", ASSIGNMENT], hub.python, cwd=course_dir)
        assert old.returncode != 0 and "no longer needed" in old.stderr and "/inbound" in old.stderr, old.stderr
        inbound = Path(hub.settings.exchange) / C1 / "inbound"
        graded = _instructor(hub, u["inst1"], C1, "-m", "autograder", "grade", ASSIGNMENT, "--root", course_dir,
                             "--submissions", str(inbound), "--workers", "2")
        assert "NOT GRADED" not in graded, graded
        grades = _grades(course_dir)
        timings["graded"] = time.monotonic() - started
        from nbgrader.api import Gradebook

        from autograder.settings import db_url

        with Gradebook(db_url(course_dir)) as gb:
            late = {s: gb.find_submission(ASSIGNMENT, u[s]).total_seconds_late for s in ("s1", "s2", "s3")}
            reference_nb = gb.find_submission_notebook(NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, u["s1"])
            written = [g for g in reference_nb.grades if g.cell.name and g.auto_score is None]
            notebook_id, written_cell, written_max = reference_nb.id, written[0].cell.name, written[0].max_score
        assert late["s1"] == 0 and late["s2"] == 0 and late["s3"] > 0, late
        assert float(grades[u["s2"]]["score"]) == 0 < float(grades[u["s1"]]["score"]), grades
        # The late bug: a day's 10 % of its points off, in the CSV.
        penalty = float(grades[u["s3"]]["late_penalty"])
        assert 0 < penalty and float(grades[u["s3"]]["score"]) < float(grades[u["s1"]]["score"]), grades[u["s3"]]

        # 4. A written answer gets its points in formgrader.
        page = _login(chromium, hub, u["inst1"], f"/services/{C1}/formgrader/submissions/{notebook_id}/")
        box = page.wait_for_selector(f"input.score[id='{written_cell}']", timeout=120_000)
        box.fill(str(written_max))
        # formgrader saves on the input's change event, by a PUT to its grade API: wait for that answer,
        # not for a fixed time (a loaded machine took longer than 2 s).
        with page.expect_response(lambda r: "/api/grade/" in r.url and r.request.method == "PUT",
                                  timeout=120_000) as saved:
            box.press("Tab")
        assert saved.value.ok, saved.value.status
        screenshot(page, "hub-05-instructor-hand-grades")
        page.close()
        with Gradebook(db_url(course_dir)) as gb:
            manual = gb.find_grade(written_cell, NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, u["s1"]).manual_score
        assert manual == written_max, f"formgrader did not save the written answer's points ({manual})"

        # 5. Feedback goes back through the exchange.
        _instructor(hub, u["inst1"], C1, "-m", "hub", "feedback", ASSIGNMENT)
        with Gradebook(db_url(course_dir)) as gb:
            totals = {s: gb.find_submission(ASSIGNMENT, u[s]).score
                      - gb.find_submission(ASSIGNMENT, u[s]).late_submission_penalty for s in ("s1", "s2", "s3")}
            max_score = gb.find_assignment(ASSIGNMENT).max_score

        # 6. Each student fetches it and reads their own score; no one reads another's.
        pages = {}
        for student in ("s1", "s2", "s3"):
            user = u[student]
            page = _login(chromium, hub, user)
            _open_lab(page, hub, user)
            _assignment_list(page, hub, user)
            _wait_text(page, "#submitted_assignments_list", ASSIGNMENT)
            page.click("#submitted_assignments_list button:has-text('Fetch Feedback')")
            home = Path(pwd.getpwnam(user).pw_dir)
            deadline = time.monotonic() + 120
            while not list(home.glob(f"{C1}/{ASSIGNMENT}/feedback/*/*.html")):
                assert time.monotonic() < deadline, f"{user}: no feedback fetched"
                time.sleep(1)
            [html] = home.glob(f"{C1}/{ASSIGNMENT}/feedback/*/*.html")
            rel = html.relative_to(home).as_posix()
            page.goto(hub.url + f"user/{user}/lab/tree/{rel}")
            page.wait_for_timeout(3000)
            screenshot(page, f"hub-06-{student}-feedback")
            text = html.read_text()
            shown = re.search(r"Score:\s*([\d.]+)\s*/\s*([\d.]+)", text)
            assert shown, f"{user}: no score on the feedback page"
            assert (float(shown.group(1)), float(shown.group(2))) == (round(totals[student], 2), max_score), (
                student, shown.group(0), totals[student])
            assert ("Late submission penalty" in text) == (student == "s3"), student
            pages[student] = page
        timings["feedback read"] = time.monotonic() - started

        # Nobody opens another's server, files or the formgrader.
        s2_feedback = next(Path(pwd.getpwnam(u["s2"]).pw_dir).glob(f"{C1}/{ASSIGNMENT}/feedback/*/*.html"))
        rel = s2_feedback.relative_to(pwd.getpwnam(u["s2"]).pw_dir).as_posix()
        page = pages["s1"]
        for path, shot in ((f"user/{u['s2']}/files/{rel}", "s2-feedback"),
                           (f"user/{u['s2']}/lab/tree/{rel}", "s2-lab"),
                           (f"services/{C1}/formgrader", "formgrader")):
            reply = page.goto(hub.url + path)
            page.wait_for_timeout(1000)
            screenshot(page, f"hub-07-s1-refused-{shot}")
            body = page.content()
            assert "Score:" not in body and "Manage Assignments" not in body, path
            assert reply.status == 403 or "403" in body, (path, reply.status, page.url)
        for path in (s2_feedback, Path(nn101.course_dir) / "gradebook.db", Path(nn101.course_dir) / ".grading-seed",
                     Path(nn101.course_dir) / "source" / ASSIGNMENT / NOTEBOOK):
            done = as_user(u["s1"], ["cat", str(path)])
            assert done.returncode != 0 and "Permission denied" in done.stderr, path
        for p in pages.values():
            p.close()

        # Two courses: nn202's instructor and student see nn202 only; the shared student sees both.
        release(hub.settings, _course(hub, C2), hub.python)
        page = _login(chromium, hub, u["s4"])
        _open_lab(page, hub, u["s4"])
        memory[u["s4"]] = _memory_mib(u["s4"])
        _assignment_list(page, hub, u["s4"])
        _wait_text(page, "#released_assignments_list", ASSIGNMENT)
        options = page.eval_on_selector_all("#course_list_dropdown ~ * a, .dropdown-menu a, #course_list a",
                                            "els => els.map(e => e.textContent.trim())")
        screenshot(page, "hub-08-s4-sees-nn202-only")
        listed = page.inner_text("#nbgrader-assignment-list")
        assert C1 not in listed and C1 not in options, (listed, options)
        assert page.request.get(hub.url + f"services/{C1}/formgrader", max_redirects=0).status in (302, 403)
        page.close()
        page = _login(chromium, hub, u["inst2"], "/hub/home")
        page.wait_for_url(re.compile("/hub/home"), timeout=60_000)
        reply = page.request.get(hub.url + f"services/{C1}/formgrader/manage_assignments")
        page.goto(hub.url + f"services/{C1}/formgrader")
        screenshot(page, "hub-09-inst2-refused-nn101-formgrader")
        assert reply.status == 403 or "Manage Assignments" not in reply.text(), reply.status
        page.close()
        page = _login(chromium, hub, u["s3"])
        _open_lab(page, hub, u["s3"])
        _assignment_list(page, hub, u["s3"])
        page.click("#course_list_dropdown")
        page.wait_for_timeout(1000)
        screenshot(page, "hub-10-shared-student-sees-both-courses")
        courses_shown = page.inner_text("#nbgrader-assignment-list")
        assert C1 in courses_shown and C2 in courses_shown, courses_shown
        page.close()
    for path in (Path(nn101.course_dir), Path(hub.settings.exchange) / C1 / "outbound" / ASSIGNMENT):
        done = as_user(u["s4"], ["ls", str(path)])
        assert done.returncode != 0, f"{u['s4']} lists {path}"
    assert as_user(u["s4"], ["ls", str(Path(hub.settings.exchange) / C1)]).returncode != 0

    total = time.monotonic() - started
    # Stopping the hub stops every server it started and keeps the gradebook and the exchange.
    submissions = sorted(p.name for p in (Path(hub.settings.exchange) / C1 / "inbound").iterdir())
    hub.stop()
    assert (Path(nn101.course_dir) / "gradebook.db").is_file()
    assert sorted(p.name for p in (Path(hub.settings.exchange) / C1 / "inbound").iterdir()) == submissions
    assert len(submissions) == 3 and list((Path(hub.settings.exchange) / C1 / "feedback").glob("*.html"))
    # A server stops its kernels before it exits; on a machine grading beside this test that took over 30 s.
    deadline = time.monotonic() + 120
    while any(_memory_mib(user) for user in (u["s1"], u["s2"], u["s3"], u["s4"])):
        survivors = subprocess.run(["ps", "-o", "user=,pid=,etime=,args=", "-u",
                                    ",".join(u[s] for s in ("s1", "s2", "s3", "s4"))],
                                   capture_output=True, text=True).stdout
        assert time.monotonic() < deadline, f"a user server outlived the hub by 120 s:\n{survivors}"
        time.sleep(1)
    print(f"\nhub cycle: {', '.join(f'{k} at {v:.0f} s' for k, v in timings.items())}; whole test {total:.0f} s")
    print("memory per user server with Lab open (server + kernels, MiB): "
          + ", ".join(f"{k}: {v:.0f}" for k, v in memory.items()))
    (Path(os.environ.get("NN_TEST_ARTIFACTS", "test-artifacts")) / "hub-measurements.json").write_text(
        json.dumps({"seconds": timings, "total_seconds": total, "memory_mib": memory}, indent=2))
