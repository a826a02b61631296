"""``python -m hub``: start the course's JupyterHub, and the instructor's exchange steps.

``start`` (what `make hub` runs, as root) sets the machine up from a roster
(hub/provision.py), prints the URL and the accounts, and runs JupyterHub in
the foreground; Ctrl-C stops it and leaves the gradebooks and the exchange as
they are. ``feedback`` is run by an instructor in the course folder (a
terminal in JupyterLab), after ``python -m autograder grade A --submissions
<exchange>/<course>/inbound``: see hub/inbound.py. ``collect`` only says so.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

from autograder.settings import REPO_ROOT
from hub.inbound import inbound_path, release_feedback
from hub.provision import accounts_file, provision
from hub.roster import RosterError, read_roster

DEFAULT_HUB_DIR = "/srv/nn-hub"
DEFAULT_PROXY = REPO_ROOT / ".venv" / "node" / "node_modules" / ".bin" / "configurable-http-proxy"


def cmd_start(args):
    if os.geteuid() != 0:
        sys.exit("make hub runs as root: it creates system accounts and starts servers as them (sudo make hub)")
    if not Path(args.proxy).exists():
        sys.exit(f"configurable-http-proxy is missing at {args.proxy}: run `make hub`, which installs it with npm")
    try:
        roster = read_roster(args.roster)
    except RosterError as err:
        sys.exit(str(err))
    settings, new = provision(roster, args.hub_dir, args.proxy, port=args.port)
    print(f"\nJupyterHub for {', '.join(c.course_id for c in settings.courses)}: "
          f"http://{settings.ip}:{settings.port}/")
    for course in settings.courses:
        print(f"  {course.course_id}: instructor {', '.join(course.instructors)}; "
              f"students {', '.join(course.students) or '(none)'}; "
              f"formgrader http://{settings.ip}:{settings.port}/services/{course.course_id}/formgrader; "
              f"course folder {course.course_dir}")
    if new:
        print("New accounts (shown once; also in the root-only file below):")
        for user, password in sorted(new.items()):
            print(f"  {user}  {password}")
    print(f"Passwords: {accounts_file(settings.hub_dir)} (root only). Stop with Ctrl-C.\n", flush=True)
    env = dict(os.environ, NN_HUB_SETTINGS=str(Path(settings.hub_dir) / "state" / "hub.json"))
    config = Path(__file__).with_name("jupyterhub_config.py")
    os.chdir(Path(settings.hub_dir) / "state")
    os.execve(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(config)], env)


def cmd_collect(args):
    # Kept for instructors' notes from before: grade reads the exchange itself now.
    sys.exit(f"`hub collect` is no longer needed: grade reads the exchange's inbound directly, with nbgrader's "
             f"timestamps:\n  {sys.executable} -m autograder grade {args.assignment} --root {args.course_dir} "
             f"--submissions {inbound_path(args.course_dir)}")


def cmd_feedback(args):

    # Regenerate the pages from the gradebook, so the hand grades made in formgrader are in them.
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_feedback", args.assignment, "--force"],
                   cwd=args.course_dir, check=True)
    released = release_feedback(args.course_dir, args.assignment)
    print(f"Feedback released to {len(released)} students: {', '.join(released)}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m hub", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="set up accounts, exchange and courses from a roster; run JupyterHub")
    p.add_argument("--roster", default=str(REPO_ROOT / "hub" / "roster.example.csv"),
                   help="CSV of course,username,role (see hub/roster.example.csv)")
    p.add_argument("--hub-dir", default=DEFAULT_HUB_DIR, help="the hub's state, exchange and course folders")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--proxy", default=str(DEFAULT_PROXY), help="configurable-http-proxy's executable")
    p.set_defaults(run=cmd_start)
    for name, run, what in (("collect", cmd_collect, "no longer needed: prints the grade command"),
                            ("feedback", cmd_feedback, "regenerate feedback and release it to the exchange")):
        p = sub.add_parser(name, help=what)
        p.add_argument("assignment")
        p.add_argument("--course-dir", default=".", help="the course folder (default: here)")
        p.set_defaults(run=run)
    args = parser.parse_args(argv)
    args.run(args)


if __name__ == "__main__":
    main()
