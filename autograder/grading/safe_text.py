"""Learner-controlled text made safe for the instructor's terminal and spreadsheet.

Names, file names and messages come from hand-ins, so they are hostile:

* In a terminal, an escape sequence can erase the line it is on and print a
  forged one (``\\x1b[2K\\r``), or hide a link behind harmless text (OSC 8,
  ``\\x1b]8;;URL\\x07text\\x1b]8;;\\x07``). :func:`printable` shows every control
  character, bidirectional override and undecodable byte as a visible escape.
* In a spreadsheet, a CSV cell that begins with ``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return is read as a formula (``=HYPERLINK(...)``, ``@SUM(...)``,
  ``+cmd|...``). :func:`csv_cell` prefixes such a cell with a single quote, as
  the OWASP "CSV Injection" guidance says, so it is shown as text.
* A file name that is not valid UTF-8 reaches Python as lone surrogates
  (``surrogateescape``), which no UTF-8 file can hold: :func:`printable` writes
  each such byte as ``\\xNN``, so a report never stops on one.
"""

import re

# Characters that start a formula in Excel, LibreOffice or Google Sheets (OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _escaped(char):
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:           # an undecodable byte, kept by surrogateescape
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


# C0 and C1 controls, DEL, bidirectional marks, overrides and isolates (they reorder what
# a reader sees), line and paragraph separators, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text):
    """``text`` with every control character, bidi override and undecodable byte written as an escape.

    Tabs and newlines are escaped too: one value stays on one line. Ordinary
    Unicode (``Jörg``, ``李明``) is kept as it is.

    >>> printable("ada\\x1b[2K\\rbob   100 / 100")
    'ada\\\\x1b[2K\\\\rbob   100 / 100'
    """
    text = str(text)
    return _UNSAFE.sub(lambda m: "\\r" if m.group() == "\r" else "\\n" if m.group() == "\n"
                       else "\\t" if m.group() == "\t" else _escaped(m.group()), text)


def csv_cell(value):
    """One CSV cell: :func:`printable`, and neutralised if a spreadsheet would read it as a formula.

    Numbers are written as they are (a negative number is data, not a formula).

    >>> csv_cell('=HYPERLINK("http://x.example","click")')
    '\\'=HYPERLINK("http://x.example","click")'
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    text = printable(value)
    # printable() has already written tabs and CRs as escapes; the raw value decides.
    if str(value).startswith(FORMULA_STARTS) or text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def csv_row(values):
    """:func:`csv_cell` applied to every value of a row."""
    return [csv_cell(value) for value in values]
