"""What a learner wrote in a solution cell, normalised so that copies can be found.

A solution cell holds the release's template (signature, docstring, ``# YOUR
CODE HERE``) and the learner's code. :func:`learner_part` keeps only the
learner's lines; :func:`code_tokens` drops comments, blank lines and layout
and, with ``rename=True``, writes every local name as ``v0, v1, ...`` in order
of first use, so renaming variables or rewording comments does not hide a copy.
Attribute names (``.T``, ``.sum``), keywords and builtins are kept: they are
what the code does.
"""

import builtins
import io
import keyword
import tokenize

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
# "Identical to the instructor's solution" says something only for code that
# two people would not write the same way by chance: at least this many
# logical lines and tokens. `return x @ a.T` (one line, 6 tokens) is below it.
NONTRIVIAL_LINES = 3
NONTRIVIAL_TOKENS = 40
_SKIP = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
         tokenize.ENCODING, tokenize.ENDMARKER}
_KEEP_NAMES = set(keyword.kwlist) | set(dir(builtins)) | {"np", "self"}


def solution_part(instructor_source):
    """The lines between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` (the whole cell if unmarked)."""
    lines = instructor_source.splitlines()
    if SOLUTION_MARKERS[0] not in instructor_source:
        return instructor_source
    out, inside = [], False
    for line in lines:
        if line.strip() == SOLUTION_MARKERS[0]:
            inside = True
        elif line.strip() == SOLUTION_MARKERS[1]:
            inside = False
        elif inside:
            out.append(line)
    return "\n".join(out)


def learner_part(source, template):
    """The lines of ``source`` that are not lines of the release's ``template`` cell."""
    given = {line.strip() for line in template.splitlines() if line.strip()}
    return "\n".join(line for line in source.splitlines() if line.strip() and line.strip() not in given)


def code_tokens(source, rename=False):
    """The tokens of ``source`` without comments or layout; local names renamed if ``rename``.

    Source that does not tokenise (a syntax error) is split on whitespace,
    comments removed, so it can still be compared.
    """
    names, out, after_dot = {}, [], False
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return [word for line in source.splitlines() for word in line.split("#")[0].split()]
    for tok in tokens:
        if tok.type in _SKIP:
            continue
        text = tok.string
        if rename and tok.type == tokenize.NAME and not after_dot and text not in _KEEP_NAMES:
            text = names.setdefault(text, f"v{len(names)}")
        out.append(text)
        after_dot = tok.string == "."
    return out


def logical_lines(source):
    """Lines of code in ``source``: no blank lines, no comments."""
    return [line for line in source.splitlines() if line.strip() and not line.strip().startswith("#")]


def nontrivial(source):
    """Whether ``source`` is long enough that an exact copy of it means something."""
    return len(logical_lines(source)) >= NONTRIVIAL_LINES or len(code_tokens(source)) >= NONTRIVIAL_TOKENS


def same_code(a, b):
    """Whether ``a`` and ``b`` are the same code, comments and layout aside (names kept)."""
    return code_tokens(a) == code_tokens(b)


SHINGLE = 5
"""Tokens per shingle: short enough to survive a changed line, long enough to be specific."""


def shingles(tokens, k=SHINGLE):
    """The set of runs of ``k`` consecutive tokens (the whole list if shorter)."""
    if len(tokens) <= k:
        return {tuple(tokens)} if tokens else set()
    return {tuple(tokens[i:i + k]) for i in range(len(tokens) - k + 1)}


def similarity(a, b):
    """How alike two shingle sets are, 0 to 1: shared shingles over all shingles (Jaccard); 1 means the same.

    Set operations only, so every pair of a class of hundreds is compared in
    well under a second (difflib's alignment took minutes).
    """
    union = len(a | b)
    return len(a & b) / union if union else 0.0
