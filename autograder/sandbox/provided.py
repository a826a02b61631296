"""Which statements of the provided cells the grader runs again itself: those a test can depend on.

The trusted engine runs each provided (locked) cell twice: in the learner's
kernel, for its outputs, and statement by statement in the grader, so that the
names tests read are the grader's own values (:func:`autograder.sandbox.trusted.run_provided_cell`).
The second run calls the learner's functions through the bridge, one round
trip per call: a provided cell that trains a model, or checks a gradient by
finite differences, costs thousands of them, for names no test reads.

:func:`needed_statements` keeps, by a static reading of the instructor's
cells (trusted code), every statement that binds a name a test can read, and
every statement that may change in place one of the instructor's data names
such a statement or a test reads (``rng.normal()`` advances ``rng``,
``clf.train()`` trains ``clf``, ``split(X)`` may shuffle ``X``), and every
import, function and class; the rest
is left to the learner's kernel, which runs the whole cell anyway. A test
that reads names dynamically (``globals()``, ``eval``) keeps them all.

What is not followed, as before for expression statements, which the grader
never runs: a statement that changes a module's state (``old = np.seterr(...)``)
without binding a name a test reads.
"""

import ast
import symtable

# Calls and attributes through which a test could read a name no static reading sees.
_DYNAMIC_CALLS = frozenset({"globals", "locals", "vars", "eval", "exec", "__import__"})
_DYNAMIC_ATTRIBUTES = frozenset({"__globals__", "f_globals", "f_locals", "__builtins__"})
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.ListComp, ast.SetComp,
           ast.DictComp, ast.GeneratorExp)
_DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def is_dynamic(tree):
    """Whether the code of ``tree`` can read global names that no static reading finds."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _DYNAMIC_CALLS:
            return True
        if isinstance(node, ast.Attribute) and node.attr in _DYNAMIC_ATTRIBUTES:
            return True
        if isinstance(node, ast.Name) and node.id in _DYNAMIC_CALLS:   # passed on, not called: still dynamic
            return True
    return False


def _immediate_reads(node):
    """Global names ``node`` reads when it runs, outside the bodies of the functions, lambdas,
    classes and comprehensions it makes (their reads are :func:`_nested_reads`).

    ``x += 1`` and ``del x`` read ``x`` too.
    """
    reads = set()

    def visit(n):
        if isinstance(n, ast.Name) and (isinstance(n.ctx, (ast.Load, ast.Del))):
            reads.add(n.id)
        if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
            reads.add(n.target.id)
        if isinstance(n, _SCOPES):
            # What the enclosing scope evaluates: decorators, defaults, bases, a comprehension's first iterable.
            parts = list(getattr(n, "decorator_list", [])) + list(getattr(n, "bases", []))
            parts += [k.value for k in getattr(n, "keywords", [])]
            args = getattr(n, "args", None)
            if isinstance(args, ast.arguments):
                parts += list(args.defaults) + [d for d in args.kw_defaults if d is not None]
            generators = getattr(n, "generators", None)
            if generators:
                parts.append(generators[0].iter)
            for part in parts:
                visit(part)
            return
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return reads


def _nested_reads(source):
    """Global names read inside the functions, lambdas, classes and comprehensions of ``source``.

    They may run at any later time (a test calls a helper an earlier test
    defined), so they count whatever the top level has bound by then.
    """
    reads = set()
    stack = list(symtable.symtable(source, "<cell>", "exec").get_children())
    while stack:
        table = stack.pop()
        stack += table.get_children()
        for symbol in table.get_symbols():
            if symbol.is_global() and (symbol.is_referenced() or symbol.is_declared_global()):
                reads.add(symbol.get_name())
    return reads


def _sure_bindings(statement):
    """Names a top-level statement binds whenever it completes: assignments, imports, definitions."""
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {statement.name}
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in statement.names}
    targets = (statement.targets if isinstance(statement, ast.Assign)
               else [statement.target] if isinstance(statement, ast.AnnAssign) and statement.value else [])
    names = set()
    for target in targets:
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif not isinstance(node, (ast.Tuple, ast.List, ast.Starred, ast.Store, ast.Name)):
                return set()   # x[i] = ..., a.b = ...: binds no name, and reads the target
    return names


def _root_name(node):
    """``a`` of ``a``, ``a.b``, ``a[i].c``; None for anything else."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _possibly_changed(statement):
    """Names whose values ``statement`` may change in place.

    Those handed to a call (``split(X)``, ``show(X[:20])``: a view is the
    array), those a method is called on (``rng.normal()``, ``clf.train()``),
    and those whose items or attributes it sets (``a[0] = 1``, ``x += 1``).
    Reading an item, an attribute or an operator's result changes nothing
    here: they are the instructor's arrays and numbers.
    """
    changed = set()
    for node in ast.walk(statement):
        if isinstance(node, ast.Call):
            changed.add(_root_name(node.func) if isinstance(node.func, (ast.Attribute, ast.Subscript)) else None)
            for argument in node.args + [k.value for k in node.keywords]:
                changed |= {n.id for n in ast.walk(argument) if isinstance(n, ast.Name)}
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                for part in ast.walk(target):
                    if isinstance(part, (ast.Attribute, ast.Subscript)) or isinstance(node, ast.AugAssign):
                        changed.add(_root_name(part))
    changed.discard(None)
    return changed


def _stores(node):
    """Names a target (``for x, y in``, ``as f``, ``except E as err``) binds."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _free_in(statements, bound):
    """Names ``statements`` can read before they bind them, given names ``bound`` before they run.

    Compound statements are followed: a loop's body reads its own target,
    a ``with`` block its ``as`` name, a handler its exception, once bound.
    """
    bound, free = set(bound), set()
    for statement in statements:
        if isinstance(statement, (ast.For, ast.AsyncFor)):
            free |= _immediate_reads(statement.iter) - bound
            free |= _free_in(statement.body, bound | _stores(statement.target)) | _free_in(statement.orelse, bound)
        elif isinstance(statement, (ast.With, ast.AsyncWith)):
            inner = set(bound)
            for item in statement.items:
                free |= _immediate_reads(item.context_expr) - inner
                inner |= _stores(item.optional_vars)
            free |= _free_in(statement.body, inner)
        elif isinstance(statement, (ast.If, ast.While)):
            free |= _immediate_reads(statement.test) - bound
            free |= _free_in(statement.body, bound) | _free_in(statement.orelse, bound)
        elif isinstance(statement, ast.Try):
            free |= _free_in(statement.body, bound) | _free_in(statement.orelse, bound)
            free |= _free_in(statement.finalbody, bound)
            for handler in statement.handlers:
                if handler.type is not None:
                    free |= _immediate_reads(handler.type) - bound
                free |= _free_in(handler.body, bound | ({handler.name} if handler.name else set()))
        else:
            free |= _immediate_reads(statement) - bound
        bound |= _sure_bindings(statement)
    return free


def free_reads(source):
    """Names a cell (its Python ``source``) can read before binding them itself."""
    return _free_in(ast.parse(source).body, set()) | _nested_reads(source)


def needed_statements(tests, provided, instructor_names):
    """Which statements of the provided cells the grader must run itself.

    Parameters
    ----------
    tests : sequence of str
        The Python source of every test cell.
    provided : sequence of (str, sequence of ast.stmt)
        Each provided cell's Python source and the statements the grader
        would run from it, in the notebook's order.
    instructor_names : iterable of str
        Every name an instructor cell binds (the learner's names are the kernel's).

    Returns
    -------
    list of tuple of bool, or None
        For each provided cell, whether each of its statements is needed;
        None if a test reads names dynamically (then every statement is).
    """
    trees = [ast.parse(source) for source in tests]
    provided_trees = [ast.parse(source) for source, _ in provided]
    definitions = [node for tree in provided_trees for node in tree.body if isinstance(node, _DEFINITIONS)]
    if any(is_dynamic(tree) for tree in trees) or any(is_dynamic(node) for node in definitions):
        return None
    needed = set()
    for source in tests:
        needed |= free_reads(source)
    # The provided cells' functions and classes are defined before any cell runs, and tests may call them.
    for node in definitions:
        needed |= _nested_reads(ast.unparse(node))
    # The instructor's data names, which a statement can change in place; never a module or a definition.
    definition_names = set()
    for node in definitions:
        definition_names |= _sure_bindings(node)
    data_names = set(instructor_names) - definition_names
    kept = []
    for _, statements in reversed(provided):
        cell = []
        for statement in reversed(statements):
            binds = _sure_bindings(statement) | {n.id for n in ast.walk(statement)
                                                  if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
            nested = _nested_reads(ast.unparse(statement))
            reads = _immediate_reads(statement) | nested
            changed = _possibly_changed(statement) | nested
            keep = (isinstance(statement, _DEFINITIONS) or binds & needed or changed & needed & data_names)
            if keep:
                needed |= reads
            cell.append(bool(keep))
        kept.append(tuple(reversed(cell)))
    return list(reversed(kept))
