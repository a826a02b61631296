"""The sandbox's seccomp filter: a few system calls a learner's kernel never needs, refused.

bubblewrap installs a classic-BPF seccomp program given on a file descriptor
(``bwrap --seccomp FD``). The program is small enough to write out here, which
spares a binding to libseccomp (none is on PyPI for every Python the course
supports). It refuses:

* ``socket`` for every address family but ``AF_UNIX`` (``EAFNOSUPPORT``): the
  sandbox has its own network namespace already; this also shuts netlink and
  raw sockets. ``AF_UNIX`` stays for ``socketpair`` (multiprocessing); a
  ``connect`` has no host socket to reach, since no socket file is mounted and
  abstract names belong to the network namespace;
* ``ptrace``, ``bpf``, ``perf_event_open``, the key-ring calls,
  ``userfaultfd``, ``io_uring_setup`` and the namespace and mount calls
  (``EPERM``): kernel attack surface no notebook uses;
* system calls of any other ABI (32-bit ``int 0x80``, x32) (``ENOSYS``),
  through which the calls above could be made under other numbers.

Only x86-64 and AArch64 are known; elsewhere :func:`filter_program` returns
None and the sandbox runs without the filter (its record says so).
"""

import errno
import platform
import struct

# Offsets in struct seccomp_data.
_NR, _ARCH, _ARG0 = 0, 4, 16
# Classic BPF opcodes.
_LD_W_ABS, _JEQ_K, _JGE_K, _RET_K = 0x20, 0x15, 0x35, 0x06
_ALLOW = 0x7FFF0000
_ERRNO = 0x00050000
_AF_UNIX = 1

# audit arch, first number of another ABI sharing the arch (x32), and the refused calls by number.
_ARCHES = {
    "x86_64": (0xC000003E, 0x40000000, {"socket": 41, "ptrace": 101, "bpf": 321, "perf_event_open": 298,
                                         "add_key": 248, "request_key": 249, "keyctl": 250, "userfaultfd": 323,
                                         "io_uring_setup": 425, "mount": 165, "umount2": 166,
                                         "pivot_root": 155, "setns": 308, "unshare": 272}),
    "aarch64": (0xC00000B7, None, {"socket": 198, "ptrace": 117, "bpf": 280, "perf_event_open": 241,
                                    "add_key": 217, "request_key": 218, "keyctl": 219, "userfaultfd": 282,
                                    "io_uring_setup": 425, "mount": 40, "umount2": 39, "pivot_root": 41,
                                    "setns": 268, "unshare": 97}),
}
REFUSED = ("ptrace", "bpf", "perf_event_open", "add_key", "request_key", "keyctl", "userfaultfd",
           "io_uring_setup", "mount", "umount2", "pivot_root", "setns", "unshare")


def _op(code, k, jt=0, jf=0):
    return struct.pack("=HBBI", code, jt, jf, k)


def filter_program(machine=None):
    """The filter as bytes of ``struct sock_filter``, for ``bwrap --seccomp``; None on an unknown machine."""
    machine = machine or platform.machine()
    if machine not in _ARCHES:
        return None
    arch, other_abi, numbers = _ARCHES[machine]
    refused = [numbers[name] for name in REFUSED]
    # Straight-line code; each jump names its target by label, resolved below.
    code = [("ld", _ARCH), ("jeq", arch, None, "enosys"), ("ld", _NR)]
    if other_abi is not None:
        code.append(("jge", other_abi, "enosys", None))
    code += [("jeq", nr, "eperm", None) for nr in refused]
    code += [("jeq", numbers["socket"], None, "allow"), ("ld", _ARG0), ("jeq", _AF_UNIX, "allow", None),
             ("ret", _ERRNO | errno.EAFNOSUPPORT)]
    labels = {"allow": _ALLOW, "eperm": _ERRNO | errno.EPERM, "enosys": _ERRNO | errno.ENOSYS}
    at = {name: len(code) + i for i, name in enumerate(labels)}
    program = []
    for i, (kind, k, *jumps) in enumerate(code):
        if kind == "ld":
            program.append(_op(_LD_W_ABS, k))
        elif kind == "ret":
            program.append(_op(_RET_K, k))
        else:
            jt, jf = (0 if target is None else at[target] - i - 1 for target in jumps)
            program.append(_op(_JEQ_K if kind == "jeq" else _JGE_K, k, jt, jf))
    program += [_op(_RET_K, value) for value in labels.values()]
    return b"".join(program)
