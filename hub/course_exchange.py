"""nbgrader's collect step for a shared exchange folder that students cannot game (hub/nbgrader_config.py).

nbgrader's own ExchangeCollect trusts the name of a folder in ``inbound/`` (``student+assignment+
time+random``) for both who submitted and when, and only warns when the folder's owner is not
the student it names. On a machine where every student has their own uid, the file system knows
better, so this collect:

- refuses (logs an error and skips) a submission whose folder, or any file in it, is not owned by
  the student it names, or that contains a symbolic link or anything but plain files and folders
  (a link would make the instructor's collect copy whatever it points to, e.g. the instructor's
  own solutions); the student's genuine submissions are still collected;
- takes the submission's time from the file system, not from the name or ``timestamp.txt``: the
  latest status change (ctime) of the folder and everything in it. The kernel sets ctime on every
  write, rename or chmod and no user can set it back, so a student can make a submission look
  later, never earlier; the collected ``timestamp.txt`` holds that time, and nbgrader's late
  penalties and ``--before-duedate`` use it.

The exchange folders themselves are made safe by hub/setup_class.py (owners and modes).
"""

from __future__ import annotations

import datetime
import glob
import os
import pwd
import stat

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect, groupby
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import check_mode, parse_utc


def last_change(path: str) -> datetime.datetime:
    """The latest ctime (UTC) of ``path`` and of everything below it, without following links."""
    times = [os.lstat(path).st_ctime]
    for folder, dirs, files in os.walk(path):
        times += [os.lstat(os.path.join(folder, name)).st_ctime for name in dirs + files]
    return datetime.datetime.fromtimestamp(max(times), datetime.timezone.utc)


def ownership_problem(path: str, student: str) -> str | None:
    """Why the submission folder ``path`` cannot be the work of ``student``, or None."""
    try:
        uid = pwd.getpwnam(student).pw_uid
    except KeyError:
        return f"no local account is named {student!r}"
    entries = [path]
    for folder, dirs, files in os.walk(path):
        entries += [os.path.join(folder, name) for name in dirs + files]
    for entry in entries:
        info = os.lstat(entry)
        if stat.S_ISLNK(info.st_mode) or not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
            return f"{entry} is not a plain file or folder (a link, a device, ...)"
        if info.st_uid != uid:
            try:
                owner = pwd.getpwuid(info.st_uid).pw_name
            except KeyError:
                owner = f"uid {info.st_uid}"
            return f"{entry} is owned by {owner}, not by {student}"
    return None


class CourseCollect(ExchangeCollect):
    """ExchangeCollect that refuses submissions planted under another student's name and takes
    each submission's time from the file system (see the module's docstring)."""

    def init_src(self):
        # nbgrader's own init_src, except that each folder is checked before it counts, and a
        # folder whose name does not parse is refused instead of stopping the whole collect.
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.course_path = os.path.join(self.root, self.coursedir.course_id)
        self.inbound_path = os.path.join(self.course_path, "inbound")
        if not os.path.isdir(self.inbound_path):
            self.fail(f"Course not found: {self.inbound_path}")
        if not check_mode(self.inbound_path, read=True, execute=True):
            self.fail(f"You don't have read permissions for the directory: {self.inbound_path}")
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                self.duedate = gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                self.duedate = None
        pattern = os.path.join(self.inbound_path, f"{self.coursedir.student_id or '*'}+"
                                                  f"{self.coursedir.assignment_id}+*")
        records = []
        for path in glob.glob(pattern):
            try:
                record = self._path_to_record(path)
            except Exception as error:   # nbgrader raises ExchangeError or dateutil's ParserError
                self.log.error("Refusing %s: its name is not student+assignment+time+...: %s", path, error)
                continue
            problem = ownership_problem(path, record["username"])
            if problem:
                self.log.error("Refusing %s: it claims to be %s's submission, but %s.",
                               path, record["username"], problem)
                continue
            record["timestamp"] = parse_utc(last_change(path))  # not the time in the folder's name
            records.append(record)
        self.src_records = []
        for versions in groupby(records, lambda r: r["username"]).values():
            versions = self._sort_by_timestamp(versions)
            if self.duedate is not None and self.before_duedate:
                on_time = [r for r in versions if r["timestamp"] <= self.duedate]
                versions = on_time or versions
            self.src_records.append(versions[0])
        self._times = {os.path.join(self.inbound_path, r["filename"]):
                       r["timestamp"].replace(tzinfo=datetime.timezone.utc) for r in self.src_records}

    def do_copy(self, src, dest, log=None):
        super().do_copy(src, dest, log)
        if src in self._times:       # the collected copy carries the time the exchange saw
            with open(os.path.join(dest, "timestamp.txt"), "w") as fh:
                fh.write(self._times[src].strftime(self.timestamp_format))



class CourseSubmit(ExchangeSubmit):
    """ExchangeSubmit whose submission only its author and the instructor can open.

    nbgrader makes each submission folder writable by everyone (mode 777) so that the instructor
    can delete it. The folder belongs to the instructor's group (inbound/ is setgid), so mode 750
    keeps it to the student (owner) and the instructor (group); other students cannot enter it,
    even knowing its name. Where inbound/ is not set up so, nbgrader's modes are kept."""

    def copy_files(self):
        super().copy_files()
        dest = os.path.join(self.inbound_path, self.assignment_filename)
        if os.stat(dest).st_gid == os.stat(self.inbound_path).st_gid:
            os.chmod(dest, 0o750)
        else:
            self.log.warning("%s is not in the group of %s: other users can open it", dest,
                             self.inbound_path)
