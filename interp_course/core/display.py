"""Display helpers every chapter uses: the base of the interactive viewers.

Each viewer is an ipywidgets control panel; every chapter also draws a static version of
what it shows, for the website, where no kernel runs to redraw.
"""

from __future__ import annotations

import ipywidgets as widgets


class Viewer:
    """A control panel kept in ``self.widget``; a notebook shows it when the object is the
    value of a cell."""

    widget: widgets.Widget

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
