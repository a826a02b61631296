"""nbgrader's submit, with the submission readable by the course's instructors only.

Stock ``nbgrader submit`` (0.9) copies a submission into the exchange's
``inbound/`` and then sets every file to 0644 and the folder to 0777: any
user of the machine who learns the folder's name can read it, or write into
it. On this hub ``inbound/`` is setgid with group ``formgrade-<course>``
(hub/provision.py), so each file of a submission belongs to that group;
:class:`PrivateSubmit` then sets files to 0640 and folders to 0770, so the
student who submitted and the instructors can read it, and no other student.
The copy runs under umask 027 and nbgrader's own 0644 is never applied, so no
file of it is world-readable at any moment. The copy also keeps the folders'
inherited group: stock ``copytree`` copies each source folder's mode onto the
new one, which clears the setgid bit, so the files written after it
(``timestamp.txt``, ``submission_secret.txt``) would get the student's group.
"""

import os
import shutil

from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import ignore_patterns

FILE_MODE = 0o640
DIR_MODE = 0o770    # group-writable so that instructors can remove a submission, as nbgrader intends
# (no setgid: the kernel drops it when a non-member of the group sets modes; every file is made by then)


class PrivateSubmit(ExchangeSubmit):
    """``nbgrader submit`` whose inbound copy only the student and the course's instructors can read."""

    def copy_files(self):
        old = os.umask(0o027)
        try:
            super().copy_files()
        finally:
            os.umask(old)
        # nbgrader opens the folder to 0777 after setting the files' modes.
        os.chmod(os.path.join(self.inbound_path, self.assignment_filename), DIR_MODE)

    def do_copy(self, src, dest, log=None):
        """nbgrader's copy (same size limits and ignore rules), without copying folder modes."""
        size, limit = self.get_size(src), 1000 * self.coursedir.max_dir_size
        if size > limit:
            raise RuntimeError(f"Directory size is too big. Size is {size}, maximum size is {limit}")
        ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                 max_file_size=self.coursedir.max_file_size, log=self.log)

        def copy_folder(source, target):
            os.mkdir(target)         # takes the group (and setgid) of the folder it is made in
            names = os.listdir(source)
            skipped = ignore(source, names)
            for name in names:
                if name in skipped:
                    continue
                path = os.path.join(source, name)
                if os.path.isdir(path):
                    copy_folder(path, os.path.join(target, name))
                else:
                    shutil.copyfile(path, os.path.join(target, name))

        copy_folder(src, dest)

    def set_perms(self, dest, fileperms, dirperms):
        # The only caller is copy_files, for the inbound copy.
        super().set_perms(dest, fileperms=FILE_MODE, dirperms=DIR_MODE)
