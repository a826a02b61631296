"""The kernel side of trusted grading: answers the grader's requests in the learner's kernel.

This module runs inside the sandboxed kernel, next to the learner's code, so
nothing here is trusted: a submission may replace or patch it. That is fine by
design. The grader sends inputs in a file, this module calls the learner's
function on them and writes back *plain data only* (numbers, strings, numeric
arrays in an ``.npz`` without pickles, and opaque handles). The grader decides
every verdict from those values in its own process, so patching this module can
change the answers a submission gives, which is no more than writing different
code, and never a verdict.

Request ``<prefix>.json`` (+ ``<prefix>.npz`` for arrays) -> response
``<prefix>.out.json`` (+ ``<prefix>.out.npz``). Operations:

* ``lookup``: a name in ``__main__`` or an attribute of a handle;
* ``setattr``: set an attribute of a handle;
* ``call``: call a handle with arguments. With ``bind`` (name -> table of
  ``[args, kwargs, result]``), each named global of the function is replaced,
  for the call only, by a stand-in that answers from the table: the grader's
  reference results, computed in the grader. A call the table does not hold
  stops the function (``_Unanswered``) and the reply asks for it
  (``"missing"``); the grader adds the answer and calls again. The stand-in
  hands out only what the grader computed on arguments the learner's own code
  chose, never code. A result ``{"t": "original"}`` means: call the learner's
  own function (the reference could not take those arguments). A method is
  rerun from the state its object had before the first round (``_rewind``).
  An argument ``{"t": "grader", "i": i}`` is a function of the grader's (a
  provided object's method a test hands to the learner's code, such as a cost
  to differentiate): it becomes a stand-in that answers its k-th call from
  ``answers[i][k]`` when that row was made for the same arguments, and
  otherwise stops the function and asks, the same way. The grader computes
  each answer once, in call order, with its own object, so its side effects
  (a record of every point a cost was called at) happen in the grader. A
  function that, run again, makes its k-th call with other arguments gets the
  reply ``{"diverged": i}``: it is not deterministic.
  The reply names the array arguments the call changed in place (``mutated``,
  their positions): advice only, as this module is the learner's to change.
"""

import contextlib
import copy
import io
import json
import os
import sys

import numpy as np

from autograder.learner.checks import swapped_names

_handles = {}
_snapshots = {}


def _new_handle(obj):
    key = f"h{len(_handles)}"
    _handles[key] = obj
    return key


class _Encoder:
    """Turns Python values into JSON trees with arrays set aside for an npz."""

    def __init__(self):
        self.arrays = {}

    def encode(self, value, depth=0):
        if depth > 20:
            return {"t": "bad", "why": "a value nested more than 20 levels deep"}
        if value is None:
            return {"t": "none"}
        if isinstance(value, (bool, np.bool_)):
            return {"t": "num", "v": float(bool(value))}
        if isinstance(value, (int, np.integer)):
            return {"t": "int", "v": int(value)}
        if isinstance(value, (float, np.floating)):
            return {"t": "num", "v": float(value)}
        if isinstance(value, str):
            return {"t": "str", "v": value[:10000]}
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                return {"t": "bad", "why": f"an array of dtype {value.dtype}; expected real numbers"}
            key = f"a{len(self.arrays)}"
            self.arrays[key] = np.ascontiguousarray(value)
            return {"t": "arr", "k": key, "sub": type(value) is not np.ndarray}
        if isinstance(value, (tuple, list)):
            return {"t": "tuple" if isinstance(value, tuple) else "list",
                    "items": [self.encode(v, depth + 1) for v in value]}
        if isinstance(value, (set, frozenset)):   # an answer such as {"cost_B", "cost_C"}
            return {"t": "set", "items": [self.encode(v, depth + 1) for v in value]}
        if callable(value):
            return {"t": "callable", "h": _new_handle(value), "is_class": isinstance(value, type),
                    "name": getattr(value, "__qualname__", None) or getattr(value, "__name__", "function")}
        return {"t": "object", "h": _new_handle(value), "type": type(value).__name__}


def _decode(tree, arrays):
    kind = tree["t"]
    if kind == "none":
        return None
    if kind in ("num", "str"):
        return tree["v"]
    if kind == "int":
        return int(tree["v"])
    if kind == "arr":
        return np.array(arrays[tree["k"]])
    if kind in ("tuple", "list"):
        items = [_decode(item, arrays) for item in tree["items"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "set":
        return {_decode(item, arrays) for item in tree["items"]}
    if kind == "handle":
        return _handles[tree["h"]]
    if kind == "grader":
        return _grader_stand_ins[int(tree["i"])]
    if kind == "rng" and tree["kind"] in ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"):
        bit_generator = getattr(np.random, tree["kind"])()
        bit_generator.state = tree["state"]
        return np.random.Generator(bit_generator)
    raise ValueError(f"cannot decode {kind!r}")


def _target(request):
    if "name" in request:
        # The learner's namespace is whatever __main__ is when the request comes.
        import __main__
        if not hasattr(__main__, request["name"]):
            raise NameError(f"name {request['name']!r} is not defined")
        return getattr(__main__, request["name"])
    return _handles[request["h"]]


class _Unanswered(BaseException):
    """A bound name was called with arguments the grader has not answered yet.

    A BaseException, so that ``except Exception`` in learner code does not
    swallow it; a bare ``except`` may, and the reply asks for the answer anyway.
    """


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and np.array_equal(a, b))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and (a is b or a == b)


def _stand_in(name, original, table, missing):
    def stand_in(*args, **kwargs):
        for known_args, known_kwargs, result in table:
            if _same(list(args), known_args) and sorted(kwargs) == sorted(known_kwargs) and all(
                    _same(kwargs[k], known_kwargs[k]) for k in kwargs):
                if isinstance(result, dict) and result.get("t") == "original":
                    return original(*args, **kwargs)
                return np.array(result, copy=True) if isinstance(result, np.ndarray) else result
        missing.append((name, list(args), dict(kwargs)))
        raise _Unanswered(name)
    stand_in.__name__ = stand_in.__qualname__ = name
    return stand_in


class _GraderFunction:
    """A function of the grader's, passed to learner code: its k-th call is answered by the k-th answer.

    Valid while the call that received it runs; kept and called later, it says so.
    """

    def __init__(self, index, answers, missing):
        self.index, self.answers, self.missing, self.calls, self.live = index, answers, missing, 0, True

    def __call__(self, *args, **kwargs):
        if not self.live:
            raise RuntimeError("a function the test passed in can only be called while that call runs")
        k, self.calls = self.calls, self.calls + 1
        if k < len(self.answers):
            known_args, known_kwargs, result = self.answers[k]
            if _same(list(args), known_args) and sorted(kwargs) == sorted(known_kwargs) and all(
                    _same(kwargs[key], known_kwargs[key]) for key in kwargs):
                if isinstance(result, dict) and result.get("t") == "raise":
                    raise _RAISABLE.get(result.get("ename"), RuntimeError)(str(result.get("evalue")))
                return copy.deepcopy(result)
            self.missing.append((self.index, None, None))   # run again, it called with other arguments
        else:
            self.missing.append((self.index, list(args), dict(kwargs)))
        raise _Unanswered(f"grader function {self.index}")


# What a grader's function may raise into learner code: the exception types a learner could catch by name.
_RAISABLE = {cls.__name__: cls for cls in (ValueError, TypeError, IndexError, KeyError, ZeroDivisionError,
                                           ArithmeticError, OverflowError, FloatingPointError, RuntimeError)}
_grader_stand_ins = {}


def _namespace_of(target):
    import __main__
    found = getattr(getattr(target, "__func__", target), "__globals__", None)
    return found if isinstance(found, dict) else vars(__main__)


def _rewind(request, target):
    """Start a method from the same object state on every round of one bound call.

    A round ends at the first call the grader has not answered yet, and the
    next round runs the method again from its start: a method that changed
    its object (a training step moves the weights and the seeded shuffling)
    must see the object as it was before the first round.
    """
    owner = getattr(target, "__self__", None)
    if owner is None or not isinstance(getattr(owner, "__dict__", None), dict):
        return
    if request.get("retry"):
        owner.__dict__.clear()
        owner.__dict__.update(copy.deepcopy(_snapshots[request["h"]]))
    else:
        _snapshots[request["h"]] = copy.deepcopy(owner.__dict__)


def _serve(request, arrays, out):
    op = request["op"]
    target = _target(request)
    if op == "lookup":
        value = getattr(target, request["attr"]) if "attr" in request else target
        return {"value": out.encode(value)}
    if op == "setattr":
        setattr(target, request["attr"], _decode(request["value"], arrays))
        return {}
    if op == "call":
        asked = []   # calls of the grader's functions not answered yet
        _grader_stand_ins.clear()
        for index, rows in enumerate(request.get("grader", [])):
            _grader_stand_ins[index] = _GraderFunction(index, [
                (list(_decode(a, arrays)), {key: _decode(v, arrays) for key, v in k.items()},
                 r if r.get("t") == "raise" else _decode(r, arrays)) for a, k, r in rows], asked)
        args = [_decode(a, arrays) for a in request["args"]]
        kwargs = {k: _decode(v, arrays) for k, v in request["kwargs"].items()}
        before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else None
                  for v in list(args) + list(kwargs.values())]
        namespace, missing, stand_ins = _namespace_of(target), [], {}
        if "bind" in request:
            _rewind(request, target)
        for name, table in request.get("bind", {}).items():
            rows = [(list(_decode(a, arrays)), {key: _decode(v, arrays) for key, v in k.items()},
                     r if r.get("t") == "original" else _decode(r, arrays)) for a, k, r in table]
            stand_ins[name] = _stand_in(name, namespace.get(name), rows, missing)
        try:
            # A progress bar or warning in learner code is not an answer.
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()), \
                    swapped_names(namespace, stand_ins):
                result = target(*args, **kwargs)
        except Exception as err:  # the learner's own error is an answer too
            if not missing and not asked:
                notes = getattr(err, "__notes__", [])
                return {"raised": {"ename": type(err).__name__, "evalue": str(err)[:2000], "notes": notes[:5]}}
        except _Unanswered:
            pass
        finally:
            for stand_in in _grader_stand_ins.values():
                stand_in.live = False
        if asked:
            index, margs, mkwargs = asked[0]
            if margs is None:
                return {"diverged": index}
            return {"missing": {"grader": index, "args": out.encode(tuple(margs)), "kwargs": {
                k: out.encode(v) for k, v in mkwargs.items()}}}
        if missing:
            name, margs, mkwargs = missing[0]
            return {"missing": {"name": name, "args": out.encode(tuple(margs)), "kwargs": {
                k: out.encode(v) for k, v in mkwargs.items()}}}
        after = list(args) + list(kwargs.values())
        mutated = [i for i, (old, new) in enumerate(zip(before, after))
                   if old is not None and not (isinstance(new, np.ndarray) and new.shape == old.shape
                                               and np.array_equal(new, old, equal_nan=True))]
        return {"value": out.encode(result), "mutated": mutated}
    raise ValueError(f"unknown operation {op!r}")


def handle(prefix, sink=None):
    """Answer the request at ``<prefix>.json``; never raises.

    The answer goes to ``<prefix>.out.json`` and ``<prefix>.out.npz``, or,
    given a ``sink`` dict, into it as bytes (``"json"``, ``"npz"``): the
    sandboxed runner sends them back on its pipe, so a full disk cannot stop
    an answer.
    """
    out = _Encoder()
    try:
        with open(prefix + ".json") as f:
            request = json.load(f)
        arrays = {}
        if os.path.exists(prefix + ".npz"):
            with np.load(prefix + ".npz", allow_pickle=False) as data:
                arrays = {k: data[k] for k in data.files}
        reply = _serve(request, arrays, out)
    except Exception as err:
        reply = {"error": f"{type(err).__name__}: {err}"[:2000]}
    npz = io.BytesIO()
    if out.arrays:
        np.savez(npz, **out.arrays)
    text = json.dumps(reply).encode()
    if sink is not None:
        sink["json"], sink["npz"] = text, npz.getvalue()
    else:
        if out.arrays:
            with open(prefix + ".out.npz", "wb") as f:
                f.write(npz.getvalue())
        with open(prefix + ".out.json", "wb") as f:
            f.write(text)
    sys.stdout.flush()
