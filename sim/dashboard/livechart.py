"""``LiveChart``: an ECharts chart whose rows stay in the browser and grow by chunks.

Solara's ``FigureEcharts`` resends a chart's whole option, data included, whenever it
changes. Here the option (axes, series, decision lines) is sent only when it changes, and
at each step only the rows from the first changed one on: a few numbers a week instead of
a whole chart. A view that missed a chunk (drawn late, or redrawn) asks for all rows once.
"""

from __future__ import annotations

from typing import Any, cast

import ipyvuetify
import traitlets

from sim.dashboard.charts import Chart
from sim.dashboard.ui import component, solara

__all__ = ["LiveChart", "LiveChartWidget"]


class LiveChartWidget(ipyvuetify.VuetifyTemplate):  # type: ignore[misc,name-defined]
    """The widget: ``option`` and ``height`` as traits, rows pushed with ``push``."""

    template_file = (__file__, "livechart.vue")

    option = traitlets.Dict({}).tag(sync=True)
    height = traitlets.Int(300).tag(sync=True)
    classes = traitlets.Unicode("").tag(sync=True)
    rows = traitlets.Dict({}).tag(sync=True)  # {"seq": n, "data": all rows}: a resync
    chunk = traitlets.Dict({}).tag(sync=True)  # {"seq": n, "start": i, "rows": rows[i:]}
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sent: list[list[Any]] = []
        self._seq = 0

    @traitlets.default("cdn")
    def _cdn(self) -> str | None:
        import solara.settings

        # Same rule as Solara's FigureEcharts: the server's asset proxy unless told not to.
        return None if solara.settings.assets.proxy else str(solara.settings.assets.cdn)

    def push(self, rows: list[list[Any]]) -> int:
        """Send the rows that differ from those sent before; return how many were sent."""
        sent = self._sent
        start = 0
        for old, new in zip(sent, rows, strict=False):
            if old != new:
                break
            start += 1
        if start == len(sent) == len(rows):
            return 0
        self._seq += 1
        self._sent = [list(r) for r in rows]
        self.chunk = {"seq": self._seq, "start": start, "rows": self._sent[start:]}
        return len(rows) - start

    def vue_resync(self, _data: Any = None) -> None:
        """The browser asks for every row (it missed a chunk)."""
        self._seq += 1
        self.rows = {"seq": self._seq, "data": self._sent}


@component
def LiveChart(chart: Chart, height: int = 300, classes: list[str] | None = None) -> Any:
    """Show ``chart``; when it changes, only its option (if changed) and new rows travel."""
    element = LiveChartWidget.element(
        option=chart.option, height=height, classes=" ".join(["spc-chart", *(classes or [])])
    )

    def push() -> None:
        widget = cast(LiveChartWidget, solara.get_widget(element))
        widget.push(chart.rows)

    solara.use_effect(push, [chart.rows])
    return element
