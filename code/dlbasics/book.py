"""Hand a computed number to the book's prose.

In the built book, ``glue(name, value)`` stores ``value`` so that the text can
quote it (``{glue:text}`name:.2f` ``): the prose then always says what the
code printed. Outside the book (Colab, a plain Jupyter, a script) myst-nb may
be missing; there ``glue`` does nothing, so the same cell runs everywhere.
"""

from __future__ import annotations

try:
    from myst_nb import glue as _myst_glue
except ImportError:  # Colab, scripts: no book to glue into
    _myst_glue = None


def glue(name: str, value, display: bool = False) -> None:
    """Store ``value`` under ``name`` for the prose.

    Returns nothing, so that a ``glue`` call ending a cell prints nothing.
    """
    if _myst_glue is not None:
        _myst_glue(name, value, display=display)
