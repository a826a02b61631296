"""The gradebook's database: SQLite by default, or a server such as PostgreSQL.

nbgrader keeps its gradebook behind SQLAlchemy, so any URL it accepts works
(``sqlite:///...``, ``postgresql://user:password@host:5432/name``). This module
checks, before anything is graded, that the gradebook can be opened, and says
which one it could not open without printing its password.
"""

import contextlib
import multiprocessing.util
import time

from nbgrader.api import Course, Gradebook, InvalidEntry
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from autograder.coursedir.nbgrader_api import GradingError, alembic_on_path
from autograder.settings import with_driver

# Any fixed number: PostgreSQL advisory locks are named by integers, and every
# grade command that creates the gradebook's tables takes this one.
_SCHEMA_LOCK = 0x6E6E6772  # "nngr"


def shown_url(url):
    """``url`` as it may be printed: the password, if any, replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<an unreadable database URL>"


def _first_line(err):
    """The database driver's own message, without SQLAlchemy's background link."""
    original = getattr(err, "orig", None) or err
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(err).__name__


def _add_course_row(gb, course_id):
    """Give nbgrader's course id its row in the ``course`` table.

    nbgrader's default course id is ``""``, for which it never adds a row,
    yet every assignment it adds refers to one. SQLite does not enforce that
    reference; PostgreSQL does, and would refuse the first release.
    """
    if gb.db.query(Course).filter(Course.id == course_id).one_or_none() is None:
        gb.db.add(Course(id=course_id))
        gb.db.commit()


def check_gradebook(url, course_id=""):
    """Open the gradebook at ``url``, creating nbgrader's tables if it is empty.

    Grade commands that start at once against one new PostgreSQL database
    would otherwise both create the tables, and one would fail; here the
    first takes an advisory lock and the others wait for it. ``course_id`` is
    nbgrader's ``CourseDirectory.course_id`` (by default ``""``).

    Raises
    ------
    GradingError
        The database cannot be reached, refuses the login, or is not a
        gradebook; the message names the URL without its password.
    """
    url = with_driver(url)
    shown = shown_url(url)
    alembic_on_path()
    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as err:
        raise GradingError(f"the gradebook URL {shown} is not one SQLAlchemy can open: {_first_line(err)}. "
                           f"Use e.g. sqlite:///path/gradebook.db or "
                           f"postgresql://USER:PASSWORD@HOST:5432/DATABASE") from None
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK})
                try:
                    with Gradebook(url) as gb:
                        _add_course_row(gb, course_id)
                finally:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK})
            else:
                connection.execute(text("SELECT 1"))
                Gradebook(url).close()
    except SQLAlchemyError as err:
        reason = _first_line(err)
        if engine.url.password:  # a driver may echo its connection string
            reason = reason.replace(str(engine.url.password), "***")
        raise GradingError(f"cannot open the gradebook at {shown}: {reason}. "
                           f"Check that the database server runs and accepts this user, "
                           f"or pass another URL with --db") from None
    finally:
        engine.dispose()


def add_students(url, students, attempts=5):
    """Make sure the gradebook has a row for each student before grading starts.

    ``students`` is a list of ids, or a mapping of id -> roster fields
    (``first_name``, ``last_name``, ``lms_user_id``): a field is written
    where the gradebook has none, so a roster imported with ``nbgrader db
    student import`` is never overwritten by an LMS's shorter name.

    nbgrader's autograde adds a missing student itself, but two grade
    commands (on two assignments of one class) doing so at once can insert
    the same student twice, and the second insert fails. Here the loser of
    that race just tries again and finds the row.
    """
    url = with_driver(url)
    roster = students if isinstance(students, dict) else dict.fromkeys(students, {})
    for attempt in range(attempts):
        try:
            with Gradebook(url) as gb:
                known = {student.id: student for student in gb.students}
                for student, fields in roster.items():
                    row = known.get(student) or gb.add_student(student)
                    named = row.first_name or row.last_name
                    changes = {key: value for key, value in fields.items() if value and not getattr(row, key)
                               and not (key in ("first_name", "last_name") and named)}
                    for key, value in changes.items():
                        setattr(row, key, value)
                    if changes:
                        gb.db.commit()
            return
        except InvalidEntry:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


@contextlib.contextmanager
def shared_engines():
    """Inside, nbgrader's gradebooks share one SQLAlchemy engine per database URL, and its connections.

    nbgrader opens a new engine for every ``Gradebook`` it makes, and
    disposes of it on close: eight or so per submission, each one a new
    connection (a login, on a server) and every query compiled anew. A
    process that grades or records submission after submission keeps them,
    and closes them on the way out. Only the connection pool is kept: every
    ``Gradebook`` still has its own session and transactions.
    """
    import nbgrader.api
    from sqlalchemy.engine import Engine

    original, engines = nbgrader.api.create_engine, {}

    def shared(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engine = original(url, **kwargs)
            # Gradebook.close() disposes of its engine; here that waits for the end of the block.
            engine.dispose = lambda close=True: None
            engines[key] = engine
        return engines[key]

    nbgrader.api.create_engine = shared
    try:
        yield
    finally:
        nbgrader.api.create_engine = original
        for engine in engines.values():
            Engine.dispose(engine)


_KEPT = contextlib.ExitStack()


def share_engines_until_exit():
    """Keep :func:`shared_engines` on in this process until it exits.

    The initializer of a pool process that grades or records submission
    after submission. A pool's processes leave through multiprocessing's
    exit path, which skips ``atexit``; its finalizers close the engines.
    """
    _KEPT.enter_context(shared_engines())
    multiprocessing.util.Finalize(None, _KEPT.close, exitpriority=10)


def when_unlocked(write, attempts=5):
    """``write()``, tried again while an SQLite gradebook is locked by another process.

    SQLite lets one process write at a time, and gives up on a lock after
    its timeout; processes grading or recording side by side then wait their
    turn rather than report a submission as failed. Any other
    :class:`~autograder.coursedir.nbgrader_api.GradingError` is raised at once.
    """
    for attempt in range(attempts):
        try:
            return write()
        except GradingError as err:
            if "database is locked" not in str(err) or attempt == attempts - 1:
                raise
            time.sleep(0.5 * (attempt + 1))
