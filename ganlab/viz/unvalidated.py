"""Plotly constructors that skip per-property validation.

Building a figure through plotly's validators costs ~20 ms for the Toy Lab's plane; the same figure
built without them costs ~2 ms and serialises to the same JSON. ganlab's builders pass only values
they construct themselves (and tests render them), so the live frames use these.
"""

from functools import partial

import plotly.graph_objects as _go

Figure = partial(_go.Figure, _validate=False)
Scatter = partial(_go.Scatter, _validate=False)
Heatmap = partial(_go.Heatmap, _validate=False)
Contour = partial(_go.Contour, _validate=False)
