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
* ``call``: call a handle with arguments; the reply also names the array
  arguments the call changed in place.
"""

import contextlib
import inspect
import io
import json
import os
import sys

import numpy as np

_handles = {}


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
    if kind == "handle":
        return _handles[tree["h"]]
    raise ValueError(f"cannot decode {kind!r}")


def _target(request):
    if "name" in request:
        # The learner's namespace is whatever __main__ is when the request comes.
        import __main__
        if not hasattr(__main__, request["name"]):
            raise NameError(f"name {request['name']!r} is not defined")
        return getattr(__main__, request["name"])
    return _handles[request["h"]]


def _labels(fn, args, kwargs):
    try:
        return list(inspect.signature(fn).bind(*args, **kwargs).arguments)
    except (TypeError, ValueError):
        return [f"argument {i + 1}" for i in range(len(args))] + list(kwargs)


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
        args = [_decode(a, arrays) for a in request["args"]]
        kwargs = {k: _decode(v, arrays) for k, v in request["kwargs"].items()}
        labels = _labels(target, args, kwargs)
        before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else None
                  for v in list(args) + list(kwargs.values())]
        try:
            # A progress bar or warning in learner code is not an answer.
            with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
                result = target(*args, **kwargs)
        except Exception as err:  # the learner's own error is an answer too
            notes = getattr(err, "__notes__", [])
            return {"raised": {"ename": type(err).__name__, "evalue": str(err)[:2000], "notes": notes[:5]},
                    "labels": labels}
        after = list(args) + list(kwargs.values())
        mutated = [label for label, old, new in zip(labels, before, after)
                   if old is not None and not (isinstance(new, np.ndarray) and new.shape == old.shape
                                               and np.array_equal(new, old, equal_nan=True))]
        return {"value": out.encode(result), "labels": labels, "mutated": mutated}
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
