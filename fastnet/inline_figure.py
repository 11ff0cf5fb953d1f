"""The matplotlib Figure that fastnet's pictures are drawn on: a plain
`matplotlib.figure.Figure` that also shows itself in Jupyter.

A cell ending in a Figure shows it only when matplotlib's inline backend has registered its
display hook, which happens when pyplot is imported; fastnet never imports pyplot (so that
pyplot's list of open figures does not show each picture a second time at the end of the cell,
and the backend a user chose is left alone), so the Figure carries its own ``_repr_png_``.
When the inline backend is active, IPython prefers its hook for every Figure, this one
included: either way a picture is shown once.

Imported only after `plot_extra.require` has found matplotlib.
"""

import io

from matplotlib.figure import Figure


class InlineFigure(Figure):
    """A `matplotlib.figure.Figure` with a PNG for IPython's display: returned by a notebook
    cell, it shows inline.  Save it with ``savefig``, as any Figure."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()
