"""Test cells run in the grader's process; learners' objects stay in their kernel.

A hidden test is ordinary Python (``p = checks.call(np_softmax, logits)``). The
grader executes it in a :class:`TrustedNamespace`: the notebook's own imports
and provided definitions are real objects of the grader, and every other name
(``np_softmax``, ``clf``, ``X_train``) is looked up in the learner's kernel:

* a function or class becomes a :class:`RemoteCallable`; calling it sends the
  arguments to the kernel and brings back plain numbers, never objects;
* an array, number or list of numbers is copied over as plain data;
* anything else becomes a :class:`RemoteObject`, whose attributes are looked
  up the same way.

So no object the learner made ever runs code in the grader: comparisons,
``np.allclose`` and the checks themselves are the grader's own.
"""

import builtins
import contextlib
import copy
import io
import time

import numpy as np

from autograder.learner import checks
from autograder.sandbox.kernel import SandboxError


class _Decoder:
    """Turns a bridge reply back into Python values, trusting nothing in it."""

    def __init__(self, kernel, arrays):
        self.kernel, self.arrays = kernel, arrays

    def decode(self, tree, name=None):
        """The value of ``tree``; a function or object found there is called ``name`` in messages.

        Names are the grader's (the name a test looked up, ``object.attribute``,
        the class called), never the ``__qualname__`` or type name the kernel
        reports: a learner's code may set those to anything, hidden inputs included.
        """
        kind = tree.get("t") if isinstance(tree, dict) else None
        if kind == "none":
            return None
        if kind in ("num", "int"):
            value = tree.get("v")
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                checks.fail("the notebook's kernel sent a number that is not a number")
            return int(value) if kind == "int" else float(value)
        if kind == "str":
            return str(tree.get("v"))[:10000]
        if kind == "arr":
            array = self.arrays.get(tree.get("k"))
            if array is None:
                checks.fail("the notebook's kernel sent an array it did not attach")
            if tree.get("sub"):
                checks.fail("the function returned a subclass of ndarray; return a plain numpy array (np.asarray(...)).")
            return np.array(array, copy=True)
        if kind in ("tuple", "list"):
            items = [self.decode(item) for item in tree.get("items", [])]
            return tuple(items) if kind == "tuple" else items
        if kind == "set":
            try:
                return {self.decode(item) for item in tree.get("items", [])}
            except TypeError:
                checks.fail("the notebook's kernel sent a set of things that cannot be in a set")
        if kind == "callable":
            return RemoteCallable(self.kernel, str(tree.get("h")), name or "function", bool(tree.get("is_class")))
        if kind == "object":
            return RemoteObject(self.kernel, str(tree.get("h")), name or "object")
        if kind == "bad":
            checks.fail(str(tree.get("why"))[:500])
        checks.fail("the notebook's kernel sent a value the grader does not understand")


class _Encoder:
    """Turns the grader's arguments into a request: plain data, handles, and tokens for the grader's functions.

    A function of the grader's (``grading_costs.squares``, handed to the
    learner's ``computeNumericalGradient``) never crosses: it becomes the token
    ``{"t": "grader", "i": i}``, ``graders[i]`` here, and the bridge's stand-in
    for it asks the grader for each call's answer (see :meth:`RemoteCallable.remote_call`).
    With ``plain_only``, such a function is refused, like any other object.
    """

    def __init__(self, plain_only=False):
        self.arrays = {}
        self.graders = []
        self.plain_only = plain_only

    def encode(self, value):
        if isinstance(value, (RemoteCallable, RemoteObject)):
            return {"t": "handle", "h": object.__getattribute__(value, "_handle")}
        if value is None:
            return {"t": "none"}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "num", "v": bool(value)}
        if isinstance(value, (int, np.integer)):
            return {"t": "int", "v": int(value)}
        if isinstance(value, (float, np.floating)):
            return {"t": "num", "v": float(value)}
        if isinstance(value, str):
            return {"t": "str", "v": value}
        if isinstance(value, np.ndarray):
            key = f"a{len(self.arrays)}"
            self.arrays[key] = value
            return {"t": "arr", "k": key}
        if isinstance(value, (tuple, list)):
            return {"t": "tuple" if isinstance(value, tuple) else "list", "items": [self.encode(v) for v in value]}
        if isinstance(value, (set, frozenset)):
            return {"t": "set", "items": [self.encode(v) for v in value]}
        if isinstance(value, np.random.Generator):
            # A generator is its state: plain numbers. The kernel gets a copy; the grader's does not advance.
            bit_generator = value.bit_generator
            return {"t": "rng", "kind": type(bit_generator).__name__, "state": bit_generator.state}
        if callable(value) and not self.plain_only:
            self.graders.append(value)
            return {"t": "grader", "i": len(self.graders) - 1}
        if callable(value):
            raise TypeError("a provided cell passed a function to the learner's code: only a test may (each call "
                            "is a round trip to the grader), so what this statement makes is not the grader's")
        raise TypeError(f"a test passed a {type(value).__name__} to the learner's code; only plain data can be sent")


class _Remote:
    """What a remote callable and a remote object share: a kernel and a handle."""

    def __init__(self, kernel, handle, name):
        object.__setattr__(self, "_kernel", kernel)
        object.__setattr__(self, "_handle", handle)
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_set", {})

    def _ask(self, request, arrays=None):
        kernel = object.__getattribute__(self, "_kernel")
        return kernel.ask(request, arrays or {})

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        given = object.__getattribute__(self, "_set")
        if attr in given:
            # What a test set, it reads back from its own copy: the kernel's object could answer
            # anything for it (a property that lies), and the test would compare with that.
            return copy.deepcopy(given[attr])
        reply, decoder = self._ask({"op": "lookup", "h": object.__getattribute__(self, "_handle"), "attr": attr})
        if "error" in reply:
            raise AttributeError(f"{object.__getattribute__(self, '_name')} has no attribute {attr!r}")
        value = decoder.decode(reply.get("value"), f"{object.__getattribute__(self, '_name')}.{attr}")
        if isinstance(value, RemoteCallable):
            # A method: calling it may change this object's state (train updates self.A).
            object.__setattr__(value, "_owner", self)
        return value

    def _state_changed(self):
        """The learner's own method ran on this object: what a test set may have changed, so it is read anew.

        Tests therefore compute expected values from their own variables, never
        from an attribute read back after a method call.
        """
        object.__getattribute__(self, "_set").clear()

    def __setattr__(self, attr, value):
        encoder = _Encoder()
        reply, _ = self._ask({"op": "setattr", "h": object.__getattribute__(self, "_handle"), "attr": attr,
                              "value": encoder.encode(value)}, encoder.arrays)
        if "error" in reply:
            checks.fail(f"could not set {attr} on {object.__getattribute__(self, '_name')}")   # no kernel text
        object.__getattribute__(self, "_set")[attr] = copy.deepcopy(value)


class RemoteObject(_Remote):
    """An object of the learner's (a trained model): attributes are fetched on use."""

    def __repr__(self):
        return f"<learner's {object.__getattribute__(self, '_name')} object>"


class RemoteCallable(_Remote, checks.Delegated):
    """A learner's function, method or class, called in the learner's kernel."""

    def __init__(self, kernel, handle, name, is_class):
        super().__init__(kernel, handle, name)
        object.__setattr__(self, "_is_class", is_class)

    def __repr__(self):
        return f"<learner's {object.__getattribute__(self, '_name')}>"

    def __call__(self, *args, **kwargs):
        return self.remote_call(args, kwargs)

    def function_name(self):
        return object.__getattribute__(self, "_name")

    def remote_call(self, args, kwargs, references=None):
        """Call in the kernel; the same guarantees and messages as :func:`checks.call`.

        ``references`` (name -> the grader's function) are bound in the kernel
        while the call runs: each call the learner's function makes to one of
        those names is answered with the grader's result for its arguments
        (see :mod:`autograder.sandbox.bridge`), computed here, one round trip per new call.
        A function of the grader's among the arguments (a provided object's
        method) is answered the same way, call by call, by the grader's own
        object: the kernel never holds it, so nothing there can change it.
        A call with neither costs one round trip.
        """
        name = object.__getattribute__(self, "_name")
        try:
            object.__getattribute__(self, "_owner")._state_changed()
        except AttributeError:
            pass   # a function or a class, not a method of an object
        tables = {helper: [] for helper in (references or {})}
        answers, rounds = None, {"bound": 0, "grader": 0}
        kernel = object.__getattribute__(self, "_kernel")
        while True:
            encoder = _Encoder(plain_only=not getattr(kernel, "functions_allowed", True))
            request = {"op": "call", "h": object.__getattribute__(self, "_handle"),
                       "args": [encoder.encode(a) for a in args],
                       "kwargs": {k: encoder.encode(v) for k, v in kwargs.items()}}
            graders = encoder.graders   # the same functions at the same places on every round
            if answers is None:
                answers = [[] for _ in graders]
            if tables or answers:
                request["retry"] = rounds["bound"] + rounds["grader"] > 0
                request["bind"] = {helper: [_encoded_row(encoder, row) for row in rows]
                                   for helper, rows in tables.items()}
                request["grader"] = [[_encoded_row(encoder, row) for row in rows] for rows in answers]
            reply, decoder = self._ask(request, encoder.arrays)
            if "diverged" in reply:
                checks.fail(f"your {name}, run again on the same inputs, called the function the test passed it "
                            "with other arguments: it must give the same calls each time (seed any random "
                            "numbers it draws, e.g. np.random.default_rng(0)).")
            asked = reply.get("missing")
            if not isinstance(asked, dict):
                break
            index = asked.get("grader")
            if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(graders):
                kind, limit = "grader", _MAX_GRADER_CALLS
            elif asked.get("name") in tables:
                kind, limit = "bound", _MAX_BOUND_CALLS
            else:
                break
            rounds[kind] += 1
            if rounds[kind] > limit:
                checks.fail(f"your {name} called the course's other functions more than {limit} times in one call"
                            if kind == "bound" else
                            f"your {name} called the function the test passed it more than {limit} times in one call")
            helper_args = decoder.decode(asked.get("args"))
            helper_kwargs = {str(k): decoder.decode(v) for k, v in dict(asked.get("kwargs") or {}).items()}
            if kind == "grader":
                answers[index].append((helper_args, helper_kwargs,
                                       _grader_answer(graders[index], helper_args, helper_kwargs)))
            else:
                tables[asked["name"]].append((helper_args, helper_kwargs,
                                              _reference_result(references[asked["name"]], helper_args,
                                                                helper_kwargs)))
        if "error" in reply or "missing" in reply:
            # The reply comes from the learner's kernel: none of its text reaches the message.
            checks.fail(f"the grader could not call {name} in your notebook's kernel")
        # Labels for messages come from the grader's parse of the submitted source: what the
        # kernel says its parameters are called could carry anything, hidden inputs included.
        params = kernel.signatures.get(name, [])
        labels = [params[i] if i < len(params) else f"argument {i + 1}" for i in range(len(args))] + list(kwargs)
        values = list(args) + list(kwargs.values())
        if "raised" in reply:
            raised = reply["raised"] if isinstance(reply["raised"], dict) else {}
            ename = str(raised.get("ename"))
            if ename == "NotImplementedError":
                checks.fail(checks.not_implemented_message(name))
            shapes = ", ".join(f"{label}={checks.shape_text(value)}" for label, value in zip(labels, values))
            # Neither the exception's text nor a class name of the learner's own is shown:
            # both are the learner's to choose, and during a hidden test could carry its inputs.
            shown = ename if ename in _KNOWN_EXCEPTIONS else "an exception"
            checks.fail(f"your {name} raised {shown} (the test called it with {shapes}); call it on "
                        "inputs of these shapes in your notebook to see the error")
        # Only the kernel sees its copy of the arguments, and its report of an in-place write
        # cannot be verified (the learner's code may change the bridge): advice, never points.
        # The grader's own arrays were never sent, so nothing it holds has changed.
        mutated = reply.get("mutated")
        if isinstance(mutated, list) and mutated and type(mutated[0]) is int and 0 <= mutated[0] < len(labels):
            checks.note(checks.mutated_note(name, labels[mutated[0]]))
        if object.__getattribute__(self, "_is_class"):
            return decoder.decode(reply.get("value"), name)   # an instance: its methods are name.method
        result = decoder.decode(reply.get("value"))
        return checks.plain(result, name)


_MAX_BOUND_CALLS = 50
_MAX_GRADER_CALLS = 400
_ORIGINAL = {"t": "original"}


def _encoded_row(encoder, row):
    """One answered call, ``(args, kwargs, result)``, as the bridge reads it."""
    args, kwargs, result = row
    return [encoder.encode(args), {k: encoder.encode(v) for k, v in kwargs.items()},
            result if isinstance(result, dict) else encoder.encode(result)]


def _reference_result(reference, args, kwargs):
    """The grader's answer for one bound call: plain data, or "use the learner's own function"."""
    if not isinstance(args, tuple) or any(isinstance(v, _Remote) for v in list(args) + list(kwargs.values())):
        return _ORIGINAL
    try:
        result = reference(*args, **kwargs)
        _Encoder(plain_only=True).encode(result)
    except Exception:  # arguments the reference cannot take: the learner's own function answers
        return _ORIGINAL
    return result


def _grader_answer(function, args, kwargs):
    """What the grader's ``function`` gives for one call the learner's code made: plain data, or what it raised.

    Only plain data goes in: an object of the learner's is refused, never
    handed to the grader's code. What it raises is raised in the learner's
    code, as it would be had the object been there.
    """
    values = list(args) + list(kwargs.values()) if isinstance(args, tuple) else [None]
    if not isinstance(args, tuple) or any(isinstance(v, _Remote) for v in values):
        return {"t": "raise", "ename": "TypeError",
                "evalue": "the function the test passed takes numbers and arrays only"}
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            result = function(*args, **kwargs)
        _Encoder(plain_only=True).encode(result)
    except SandboxError:
        raise
    except Exception as err:  # noqa: BLE001 - the learner chose the arguments; what fails is theirs to see
        return {"t": "raise", "ename": type(err).__name__, "evalue": str(err)[:500]}
    return result


# Exception names that say something about a mistake and nothing else.
_KNOWN_EXCEPTIONS = {name for name, value in vars(builtins).items()
                     if isinstance(value, type) and issubclass(value, BaseException)}
_KNOWN_EXCEPTIONS |= {"LinAlgError", "AxisError"}   # numpy's


class TrustedNamespace(dict):
    """Globals for test code: the grader's own names first, then the learner's kernel.

    A name that is neither here nor a builtin is looked up in the kernel, so a
    test sees the learner's state as it is at that test. Functions, classes and
    objects found there are remembered until the next learner cell runs
    (:meth:`learner_cell_ran`): a test that calls ``np_softmax`` in a loop then
    asks the kernel once, not once per call. Data (arrays, numbers) is fetched
    at each use, so a test that changes its copy cannot change the next test's.
    """

    def __init__(self, kernel, trusted, instructor_names=frozenset()):
        super().__init__(trusted)
        self.kernel = kernel
        self.instructor_names = frozenset(instructor_names)
        self._handles = {}
        self._why_missing = {}

    def unavailable(self, names, reason):
        """``names`` could not be made (their provided statement failed): a test that reads them says why."""
        for name in names:
            self.pop(name, None)
            self._why_missing[name] = reason

    def __missing__(self, name):
        if name in self._handles:
            return self._handles[name]
        if hasattr(builtins, name):
            raise KeyError(name)   # let Python find the builtin
        if name in self.instructor_names:
            # The instructor's cells define it: the grader's own value or nothing, never the kernel's.
            why = self._why_missing.get(name)
            raise NameError(f"name {name!r} is not defined" + (f" (the provided cell that makes it failed: {why})"
                                                               if why else ""))
        reply, decoder = self.kernel.ask({"op": "lookup", "name": name}, {})
        if "error" in reply:
            raise NameError(f"name {name!r} is not defined")
        value = decoder.decode(reply.get("value"), name)
        if isinstance(value, _Remote):
            self._handles[name] = value
        return value

    def learner_cell_ran(self):
        """Forget the kernel's names: a learner cell may have redefined them."""
        self._handles.clear()


class KernelLink:
    """The trusted side of the bridge: one request, one decoded reply."""

    def __init__(self, sandboxed_kernel, timeout, signatures=None):
        self.kernel = sandboxed_kernel
        self.timeout = timeout
        self.round_trips = 0
        self.seconds = 0.0   # spent in round trips, for the grading report's time breakdown
        self.signatures = dict(signatures or {})
        """Function name -> parameter names, parsed by the grader from the submission's source."""
        self.functions_allowed = True
        """Whether a function of the grader's may be passed to the learner's code (tests: yes; provided cells: no)."""

    def ask(self, request, arrays):
        began = time.perf_counter()
        try:
            reply, out_arrays = self.kernel.request(request, arrays, self.timeout())
        finally:
            self.round_trips += 1
            self.seconds += time.perf_counter() - began
        return reply, _Decoder(self, out_arrays)
