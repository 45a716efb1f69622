"""Figures for notebooks and reports, drawn from crmkit's own results.

Every function takes what a crmkit function returns (a summary table, a curve, a
:class:`~crmkit.segmentation.CohortTable`, ...), draws it on a matplotlib ``Axes`` and
returns that ``Axes``, so the figure shows exactly the numbers crmkit computed and can be
restyled or saved by the caller:

- `plot_segments`: the output of `crmkit.segmentation.segment_summary`;
- `plot_pareto`: `crmkit.segmentation.pareto_curve`;
- `plot_class_shares`: `crmkit.segmentation.class_summary` and `pyramid`;
- `plot_rfm_grid`: `crmkit.segmentation.rfm` and `RFMModel.transform`;
- `plot_lifecycle_stages`: `crmkit.segmentation.lifecycle_history`;
- `plot_transition_matrix`: `crmkit.segmentation.transition_matrix`;
- `plot_cohort_retention`: `crmkit.segmentation.cohort_retention`;
- `plot_metric_trend`: `crmkit.service.metric_table`;
- `plot_sla_attainment`: `crmkit.service.sla_attainment`;
- `plot_period_transactions`, `plot_calibration_holdout`, `plot_frequency_recency`,
  `plot_survival_curve`: the CLV diagnostics of `crmkit.segmentation`.

Conventions shared by all of them:

- ``ax=``: draw on this ``Axes``; by default a new figure is created (with
  ``matplotlib.pyplot.subplots``, so notebooks display it). Nothing calls
  ``plt.show()`` and no global ``rcParams`` are changed: colours and formats are set on
  the artists and the axes themselves.
- Labels come out in business order: the ordered categoricals of the results are kept.
- Chinese (CJK) labels: text its font cannot draw gets the first installed CJK font
  (Noto Sans CJK SC, Microsoft YaHei, PingFang SC, SimHei, ...) on that text only; with
  none installed a ``UserWarning`` names one to install instead of drawing empty boxes.
- ``title=``: ``None`` for the default title, ``""`` for none.
- Wrong input (a frame without a needed column) raises
  :class:`~crmkit.errors.SchemaError` naming the column.
- matplotlib is an optional dependency (the ``plot`` extra). Importing this module does
  not import it; calling a function without it installed raises a
  :class:`~crmkit.errors.ConfigError` that says ``pip install "crmkit[plot]"``.

Examples:
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from crmkit.plotting import plot_pareto
    >>> from crmkit.segmentation import pareto_curve
    >>> ax = plot_pareto(pareto_curve([700, 100, 100, 50, 50]))
    >>> ax.get_title()
    'Pareto curve'
    >>> plt.close(ax.figure)
"""

from __future__ import annotations

import contextlib
import contextvars
import re
import warnings
from collections.abc import Hashable, Iterator, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from crmkit._spec import check_choice
from crmkit._validate import (
    check_not_empty,
    first_labels,
    numeric_column,
    require_columns,
    require_frame,
)
from crmkit.errors import ConfigError, InvalidInputError, SchemaError

__all__ = [
    "plot_calibration_holdout",
    "plot_class_shares",
    "plot_cohort_retention",
    "plot_frequency_recency",
    "plot_lifecycle_stages",
    "plot_metric_trend",
    "plot_pareto",
    "plot_period_transactions",
    "plot_rfm_grid",
    "plot_segments",
    "plot_sla_attainment",
    "plot_survival_curve",
    "plot_transition_matrix",
]

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

#: Two colours for "customers" vs "revenue" comparisons (matplotlib's tab10 blue, orange).
_CUSTOMERS_COLOUR = "#1f77b4"
_REVENUE_COLOUR = "#ff7f0e"
#: Lifecycle stages: fresh blues and greens, then warning orange, red, grey.
_STAGE_COLOURS = {
    "new": "#6baed6",
    "reactivated": "#74c476",
    "active": "#238b45",
    "at_risk": "#fd8d3c",
    "dormant": "#d94801",
    "churned": "#969696",
}
#: Categorical fallback (tab10).
_CYCLE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
#: Y-axis labels of the metrics :func:`crmkit.service.metric_table` computes.
_METRIC_LABELS = {
    "nps": "NPS (points, -100 to 100)",
    "csat": "CSAT (% satisfied, 4-5 of 5)",
    "csat_mean": "CSAT (mean score, 1-5)",
    "ces": "CES (% agree, 5-7 of 7)",
    "ces_mean": "CES (mean score, 1-7)",
}
#: Columns of a metric table that are not group keys.
_METRIC_TABLE_COLUMNS = frozenset(
    {"period", "n", "value", "lower", "upper", "se", "n_missing", "low_sample", "reason"}
)
#: Annotate heatmap cells only while they stay legible.
_MAX_ANNOTATED_CELLS = 400
#: Fonts that draw Chinese (and Japanese and Korean) text, tried in this order when a
#: figure's text holds a CJK character its own font cannot draw: Noto/Source Han (Linux,
#: free), the Windows and macOS system fonts, then the older Linux packages.
_CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "Heiti SC",
    "SimHei",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "Arial Unicode MS",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
)
#: Characters no Latin font draws: CJK punctuation, kana, ideographs, Hangul, full width.
_CJK = re.compile(
    "[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef]"
)
#: Set while the report draws: its SVG keeps text as text in a list of CJK font names
#: for the reader's browser, so no font of this machine is picked and none is missing.
_READER_FONTS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "crmkit_plotting_reader_fonts", default=False
)


# --------------------------------------------------------------------------- helpers


def _pyplot(owner: str) -> Any:
    """Import ``matplotlib.pyplot`` lazily; a clear error when the extra is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ConfigError(
            owner,
            "matplotlib",
            expected="installed",
            found="no module 'matplotlib'",
            kind="package",
            hint='Install the extra: pip install "crmkit[plot]".',
        ) from None
    return plt


def _axes(ax: Any, owner: str, figsize: tuple[float, float]) -> Any:
    """Return ``ax`` (checked), or the axes of a new figure."""
    plt = _pyplot(owner)
    if ax is None:
        _, new = plt.subplots(figsize=figsize, layout="constrained")
        return new
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise InvalidInputError(
            owner, "ax", expected="a matplotlib Axes or None", found=type(ax).__name__, kind=""
        )
    return ax


def _title(ax: Any, title: str | None, default: str) -> None:
    text = default if title is None else title
    if text:
        ax.set_title(text)


@contextlib.contextmanager
def _fonts_left_to_the_reader() -> Iterator[None]:
    """Within the block, :func:`_cjk_text` leaves CJK text alone (``crmkit report``)."""
    token = _READER_FONTS.set(True)
    try:
        yield
    finally:
        _READER_FONTS.reset(token)


def _cjk_font() -> str | None:
    """The first of :data:`_CJK_FONTS` that matplotlib knows of on this machine, or None."""
    from matplotlib import font_manager

    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in _CJK_FONTS if name in installed), None)


def _drawable(text: Any, chars: set[str]) -> bool:
    """Whether the fonts ``text`` resolves to (fallbacks included) have every char."""
    from matplotlib import font_manager

    # The fallback list matplotlib itself draws with (rcParams font.sans-serif, ...);
    # a private method (3.6 and later): without it, the one font findfont picks.
    props = text.get_fontproperties()
    find = getattr(font_manager.fontManager, "_find_fonts_by_props", None)
    paths = find(props) if find is not None else [font_manager.findfont(props)]
    have: set[int] = set()
    for path in paths:
        have.update(font_manager.get_font(path).get_charmap())
    return all(ord(c) in have for c in chars)


def _cjk_text(ax: Any, owner: str) -> None:
    """Give the axes' Chinese (CJK) text a font that draws it, or say what to install.

    Text whose font (with the user's own fallbacks) lacks a CJK character gets the first
    installed font of :data:`_CJK_FONTS`, on that text artist only (rcParams are left
    alone). Without any, a warning names fonts to install, instead of the silent boxes
    ("tofu") matplotlib's bundled DejaVu Sans would draw.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> ax = plt.subplots()[1]
        >>> _ = ax.set_title("Segments")
        >>> _cjk_text(ax, "f()")  # nothing to do: Latin text
        >>> ax.title.get_fontfamily()
        ['sans-serif']
        >>> plt.close(ax.figure)
    """
    if _READER_FONTS.get():
        return
    from matplotlib.text import Text

    lacking = []
    for text in ax.findobj(Text):
        chars = set(_CJK.findall(text.get_text()))
        if chars and text.get_visible() and not _drawable(text, chars):
            lacking.append(text)
    if not lacking:
        return
    font = _cjk_font()
    if font is None:
        sample = lacking[0].get_text()
        warnings.warn(
            f"{owner}: the figure's text holds Chinese, Japanese or Korean characters (e.g. "
            f"{sample[:20]!r}) and no font that draws them was found, so they would show as "
            "empty boxes. Install one, e.g. Noto Sans CJK SC (Debian/Ubuntu: apt install "
            "fonts-noto-cjk; Fedora: dnf install google-noto-sans-cjk-fonts; conda: conda "
            "install -c conda-forge font-noto-sans-cjk), then delete matplotlib's font "
            "cache (matplotlib.get_cachedir()) and restart Python; or name an installed "
            "CJK font in rcParams['font.sans-serif'].",
            UserWarning,
            stacklevel=3,
        )
        return
    for text in lacking:
        # The CJK font first: it has Latin letters and digits too, so the line is drawn
        # in one font; the text's own families stay behind it as fallbacks.
        text.set_fontfamily([font, *text.get_fontfamily()])


def _plain(value: Hashable) -> str:
    """A value as text: dates without a midnight time, tuples joined with ' / '."""
    if isinstance(value, tuple):
        return " / ".join(_plain(v) for v in value)
    if isinstance(value, pd.Timestamp):
        if value == value.normalize():
            return str(value.date())
        return str(value)
    return str(value)


def _text(value: Hashable) -> str:
    r"""A label drawn from the data (:func:`_plain`), its dollar signs shown as they are.

    Matplotlib reads text between two ``$`` as a formula: a segment "$5-$10 club" lost
    its dollar signs and "a_b $x^$" failed to draw. An escaped ``\$`` draws as ``$``.

    >>> _text("$5-$10 club")
    '\\$5-\\$10 club'
    """
    return _plain(value).replace("$", r"\$")


def _percent(value: float, digits: int = 0) -> str:
    return f"{value * 100:.{digits}f}%"


def _percent_axis(axis: Any) -> None:
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))


def _shares(frame: pd.DataFrame, column: str, owner: str) -> FloatArray:
    """A numeric column of shares in [0, 1] (with a tolerance for rounding)."""
    values = numeric_column(frame, column, owner)
    bad = (values < -1e-9) | (values > 1 + 1e-9)
    if bad.any():
        raise InvalidInputError(
            owner,
            column,
            expected="shares between 0 and 1",
            found=f"{int(bad.sum())} values outside",
            rows=first_labels(frame.index, bad),
            total=int(bad.sum()),
        )
    return values


def _numeric_or_nan(frame: pd.DataFrame, column: Hashable, owner: str) -> FloatArray:
    """One column as float64 with NaN kept (heatmaps show NaN as blank); text is an error.

    Examples:
        >>> import pandas as pd
        >>> _numeric_or_nan(pd.DataFrame({"a": [1, None]}), "a", "f()").tolist()
        [1.0, nan]
    """
    series = frame[column]
    if pd.api.types.is_bool_dtype(series.dtype) or not pd.api.types.is_numeric_dtype(series.dtype):
        raise SchemaError(
            owner,
            _plain(column),
            expected="numeric",
            found=f"dtype {series.dtype}",
        )
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_grid(frame: pd.DataFrame, owner: str) -> FloatArray:
    """A frame's cells as a float64 matrix (rows x columns), NaN kept; text is an error."""
    return np.column_stack([_numeric_or_nan(frame, c, owner) for c in frame.columns])


def _check_values(values: str, owner: str) -> None:
    """A heatmap's ``values`` argument: ``"shares"`` or ``"counts"``."""
    check_choice(values, ("shares", "counts"), owner, "values")


def _colours(labels: Sequence[Hashable]) -> list[str]:
    """Stage colours for lifecycle stages, else the categorical cycle."""
    if labels and all(str(label) in _STAGE_COLOURS for label in labels):
        return [_STAGE_COLOURS[str(label)] for label in labels]
    return [_CYCLE[i % len(_CYCLE)] for i in range(len(labels))]


def _sequential(n: int, name: str = "Blues") -> list[Any]:
    """``n`` colours of a sequential colormap, darkest first (best class first)."""
    import matplotlib as mpl

    cmap = mpl.colormaps[name]
    if n == 1:
        return [cmap(0.8)]
    return [cmap(0.9 - 0.6 * i / (n - 1)) for i in range(n)]


def _is_light(colour: Any) -> bool:
    """Whether dark text reads well on ``colour`` (perceived luminance above 0.55)."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return 0.299 * r + 0.587 * g + 0.114 * b > 0.55


def _axis_name(name: Hashable, default: str) -> str:
    """An axis label from an index name: ``periods_since`` reads "periods since"."""
    if name is None or name == "":
        return default
    return _text(name).replace("_", " ")


def _masked(values: FloatArray) -> Any:
    """A masked array: NaN cells are masked, so a heatmap leaves them blank."""
    return np.ma.masked_invalid(values)


def _heatmap(
    ax: Any,
    values: FloatArray,
    *,
    cmap_name: str,
    vmin: float | None,
    vmax: float | None,
    origin: Literal["upper", "lower"] = "upper",
) -> Any:
    """Draw ``values`` as an image; NaN cells stay NaN (masked) and show as blank."""
    import matplotlib as mpl

    cmap = mpl.colormaps[cmap_name].with_extremes(bad=(0.0, 0.0, 0.0, 0.0))
    return ax.imshow(
        _masked(values),
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        origin=origin,
        aspect="auto",
        interpolation="nearest",
    )


def _annotate_cells(ax: Any, image: Any, labels: list[list[str]], values: FloatArray) -> None:
    """Write ``labels`` on the cells; dark text on light cells, white on dark ones."""
    norm = image.norm
    cmap = image.get_cmap()
    for i, row in enumerate(labels):
        for j, label in enumerate(row):
            if not label:
                continue
            light = _is_light(cmap(norm(values[i, j])))
            ax.text(
                j,
                i,
                label,
                ha="center",
                va="center",
                fontsize="small",
                color="black" if light else "white",
            )


def _grid_ticks(ax: Any, rows: Sequence[str], columns: Sequence[str]) -> None:
    ax.set_xticks(np.arange(len(columns)), labels=list(columns))
    ax.set_yticks(np.arange(len(rows)), labels=list(rows))
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)


# --------------------------------------------------------------------------- segmentation


def plot_segments(
    summary: pd.DataFrame,
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Bar chart of each segment's share of customers and share of revenue.

    Two horizontal bars per segment, in the table's (business) order from the top; the
    customer count is written after the customers bar. A segment whose revenue bar is
    much longer than its customers bar is worth more than its size.

    Args:
        summary: The output of :func:`crmkit.segmentation.segment_summary` (columns
            ``customers``, ``customer_share`` and ``revenue_share``, one row per
            segment).
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.containers[0]`` holds the customer-share bars,
        ``ax.containers[1]`` the revenue-share bars.

    Raises:
        SchemaError: A needed column is missing.
        InvalidInputError: An empty table or shares outside [0, 1].

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_segments
        >>> from crmkit.segmentation import segment_summary
        >>> scored = pd.DataFrame({
        ...     "recency_days": [5, 10, 300], "frequency": [4, 6, 1],
        ...     "monetary": [400.0, 500.0, 100.0],
        ...     "segment": pd.Categorical(["Top", "Top", "Low"], ["Top", "Low"], ordered=True)})
        >>> ax = plot_segments(segment_summary(scored))
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['Top', 'Low']
        >>> [round(float(bar.get_width()), 2) for bar in ax.containers[1]]  # revenue shares
        [0.9, 0.1]
        >>> plt.close(ax.figure)
    """
    owner = "plot_segments()"
    frame = require_frame(summary, owner, "summary")
    require_columns(frame, ["customers", "customer_share", "revenue_share"], owner)
    check_not_empty(frame, owner, "summary")
    customers = numeric_column(frame, "customers", owner)
    customer_share = _shares(frame, "customer_share", owner)
    revenue_share = _shares(frame, "revenue_share", owner)
    labels = [_text(v) for v in frame.index]
    n = len(labels)
    ax = _axes(ax, owner, (7.0, 1.2 + 0.45 * n))
    y = np.arange(n, dtype=np.float64)
    height = 0.4
    cust = ax.barh(
        y - height / 2, customer_share, height, color=_CUSTOMERS_COLOUR, label="share of customers"
    )
    ax.barh(y + height / 2, revenue_share, height, color=_REVENUE_COLOUR, label="share of revenue")
    ax.bar_label(cust, labels=[f"{int(c):,}" for c in customers], padding=3, fontsize="small")
    ax.set_yticks(y, labels=labels)
    ax.invert_yaxis()
    top = float(max(customer_share.max(), revenue_share.max()))
    ax.set_xlim(0, min(1.0, top * 1.15 + 0.02))
    _percent_axis(ax.xaxis)
    ax.set_xlabel("share of all customers / of all revenue (bar label: customers)")
    ax.legend(loc="lower right", frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _title(ax, title, "Segments: customers and revenue")
    _cjk_text(ax, owner)
    return ax


def plot_pareto(
    curve: pd.DataFrame,
    *,
    mark: float | None = 0.2,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """The Pareto (or Lorenz) curve with its Gini coefficient and a marked top share.

    The Gini coefficient is computed from the curve's points (twice the area between the
    curve and the diagonal), which equals :func:`crmkit.segmentation.gini` of the values
    the curve was built from. A descending curve (:func:`~crmkit.segmentation.pareto_curve`
    default) is drawn as a Pareto curve, an ascending one (``order="ascending"``) as a
    Lorenz curve; both mark what the top ``mark`` share of customers brings, read off the
    curve by linear interpolation exactly as :func:`~crmkit.segmentation.top_share` does.

    Args:
        curve: The output of :func:`crmkit.segmentation.pareto_curve` (columns
            ``customer_share`` and ``revenue_share``).
        mark: The top share of customers to mark (``0.2``: "the top 20 % bring ..."), in
            ``(0, 1)``; ``None`` marks nothing.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: "Pareto curve" or "Lorenz curve"; ``""``: none).

    Returns:
        The matplotlib ``Axes``: ``ax.lines[0]`` is the curve (its legend label carries
        the Gini coefficient), ``ax.lines[1]`` the line of equal shares.

    Raises:
        SchemaError: A needed column is missing.
        InvalidInputError: Fewer than two points, or shares outside [0, 1].
        ConfigError: ``mark`` outside ``(0, 1)``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crmkit.plotting import plot_pareto
        >>> from crmkit.segmentation import gini, pareto_curve
        >>> values = [700, 100, 100, 50, 50]
        >>> ax = plot_pareto(pareto_curve(values))
        >>> ax.get_legend().get_texts()[0].get_text()
        'Pareto curve (Gini 0.54)'
        >>> round(gini(values), 2)
        0.54
        >>> plt.close(ax.figure)
    """
    owner = "plot_pareto()"
    if mark is not None and (
        isinstance(mark, bool) or not isinstance(mark, (int, float)) or not 0 < mark < 1
    ):
        raise ConfigError(owner, "mark", expected="a number in (0, 1) or None", found=repr(mark))
    frame = require_frame(curve, owner, "curve")
    require_columns(frame, ["customer_share", "revenue_share"], owner)
    if len(frame) < 2:
        raise InvalidInputError(
            owner, "curve", expected="at least two points", found=f"{len(frame)}", kind=""
        )
    x = _shares(frame, "customer_share", owner)
    y = _shares(frame, "revenue_share", owner)
    gini, descending = _curve_gini(x, y)
    name = "Pareto curve" if descending else "Lorenz curve"
    ax = _axes(ax, owner, (5.5, 5.0))
    ax.plot(x, y, color=_CUSTOMERS_COLOUR, linewidth=2, label=f"{name} (Gini {gini:.2f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="equal shares")
    if mark is not None:
        top = float(mark)
        if descending:
            px, held = top, float(np.interp(top, x, y))
            py = held
        else:
            px = 1.0 - top
            py = float(np.interp(px, x, y))
            held = 1.0 - py
        ax.plot([px, px, 0], [0, py, py], color="black", linestyle=":", linewidth=1)
        ax.plot([px], [py], marker="o", color="black")
        ax.annotate(
            f"top {_percent(top)} of customers: {_percent(held)} of revenue",
            xy=(px, py),
            xytext=(8, -14) if descending else (-8, 8),
            textcoords="offset points",
            ha="left" if descending else "right",
            fontsize="small",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_aspect("equal")
    _percent_axis(ax.xaxis)
    _percent_axis(ax.yaxis)
    if descending:
        ax.set_xlabel("share of customers (best first)")
    else:
        ax.set_xlabel("share of customers (smallest first)")
    ax.set_ylabel("cumulative share of revenue")
    ax.legend(loc="lower right" if descending else "upper left", frameon=False)
    ax.grid(alpha=0.3)
    _title(ax, title, name)
    _cjk_text(ax, owner)
    return ax


def _curve_gini(x: FloatArray, y: FloatArray) -> tuple[float, bool]:
    """The Gini coefficient of a Pareto or Lorenz curve, and whether it is a Pareto curve.

    Twice the area between the curve and the diagonal (trapezoids, exact for the
    piecewise-linear curve): a descending (Pareto) curve lies above the diagonal, an
    ascending (Lorenz) one below.

    Examples:
        >>> import numpy as np
        >>> x = np.array([0, 1 / 3, 2 / 3, 1])
        >>> gini, pareto = _curve_gini(x, np.array([0, 0.6, 0.9, 1.0]))
        >>> round(gini, 4), pareto
        (0.3333, True)
    """
    area = float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0))
    return abs(2.0 * area - 1.0), area >= 0.5


def plot_class_shares(
    summary: pd.DataFrame,
    *,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Two stacked 100 % bars: how customers and how revenue split over the classes.

    Fits the ABC table of :func:`crmkit.segmentation.class_summary` and the customer
    pyramid of :func:`crmkit.segmentation.pyramid`: the best class (A, VIP) sits on top
    in the darkest colour, so the picture reads like the pyramid; a class with a thin
    customers slice and a thick revenue slice is where the value is.

    Args:
        summary: One row per class in business order (best first) with
            ``customer_share`` and ``revenue_share``.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.containers[i]`` holds class ``i``'s two bars
        (customers, revenue), whose heights are its shares.

    Raises:
        SchemaError: A needed column is missing.
        InvalidInputError: An empty table or shares outside [0, 1].

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crmkit.plotting import plot_class_shares
        >>> from crmkit.segmentation import abc_classify, class_summary
        >>> table = class_summary(abc_classify([50, 30, 10, 10], cuts=(0.5, 0.8)))
        >>> ax = plot_class_shares(table)
        >>> [[round(float(b.get_height()), 2) for b in bars] for bars in ax.containers]
        [[0.25, 0.5], [0.25, 0.3], [0.5, 0.2]]
        >>> plt.close(ax.figure)
    """
    owner = "plot_class_shares()"
    frame = require_frame(summary, owner, "summary")
    require_columns(frame, ["customer_share", "revenue_share"], owner)
    check_not_empty(frame, owner, "summary")
    customer_share = _shares(frame, "customer_share", owner)
    revenue_share = _shares(frame, "revenue_share", owner)
    labels = [_text(v) for v in frame.index]
    colours = _sequential(len(labels))
    ax = _axes(ax, owner, (5.5, 5.0))
    x = np.array([0.0, 1.0])
    # Stack from the lowest class up, so the best class ends on top: each class sits on
    # the classes after it (the last one on 0 exactly).
    shares = np.column_stack([customer_share, revenue_share])
    above = np.cumsum(shares[::-1], axis=0)[::-1]
    bottoms = np.vstack([above[1:], np.zeros((1, 2))])
    for i, label in enumerate(labels):
        heights = shares[i]
        bars = ax.bar(
            x, heights, 0.6, bottom=bottoms[i], color=colours[i], edgecolor="white", label=label
        )
        texts = [f"{label} {_percent(h)}" if h >= 0.04 else "" for h in heights]
        text_colour = "black" if _is_light(colours[i]) else "white"
        ax.bar_label(bars, labels=texts, label_type="center", color=text_colour)
    ax.set_xticks(x, labels=["customers", "revenue"])
    ax.set_ylim(0, 1)
    _percent_axis(ax.yaxis)
    ax.set_ylabel("share")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    names = {"abc_class": "ABC class", "tier": "pyramid tier"}
    name = names.get(str(frame.index.name), _axis_name(frame.index.name, "class"))
    _title(ax, title, f"Share of customers and revenue by {name}")
    _cjk_text(ax, owner)
    return ax


def plot_rfm_grid(
    scored: pd.DataFrame,
    *,
    bins: int | None = None,
    r: str = "r_score",
    f: str = "f_score",
    annotate: bool = True,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Heatmap of customer counts by recency score (x) and frequency score (y).

    The classic RFM grid: recent and frequent customers (Champions) top right, lapsed
    one-time buyers bottom left. Every score from 1 to ``bins`` gets a row and a column,
    so empty cells show as 0.

    Args:
        scored: The output of :meth:`crmkit.segmentation.RFMModel.transform` or
            :func:`crmkit.segmentation.rfm` (one row per customer).
        bins: Scores per dimension (default: the fitted model's ``bins`` from
            ``scored.attrs["rfm_model"]`` when :func:`~crmkit.segmentation.rfm` made the
            frame, else the highest score present).
        r: Recency score column.
        f: Frequency score column.
        annotate: Write the count in each cell.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.images[0].get_array()`` is the count grid, row
        ``j`` = frequency score ``j + 1``, column ``i`` = recency score ``i + 1``.

    Raises:
        SchemaError: A score column is missing or not numeric.
        InvalidInputError: An empty frame, or scores that are not whole numbers in
            ``1..bins``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_rfm_grid
        >>> from crmkit.segmentation import RFMScorer
        >>> s = pd.DataFrame({"recency_days": [2, 9, 30, 200, 400],
        ...                   "frequency": [8, 6, 3, 2, 1],
        ...                   "monetary": [800.0, 20.0, 300.0, 90.0, 20.0]})
        >>> ax = plot_rfm_grid(RFMScorer(bins=3, segment_map=None).fit(s).transform(s))
        >>> ax.images[0].get_array().astype(int).tolist()  # rows: F = 1, 2, 3
        [[2, 0, 0], [0, 1, 0], [0, 0, 2]]
        >>> plt.close(ax.figure)
    """
    owner = "plot_rfm_grid()"
    frame = require_frame(scored, owner, "scored")
    require_columns(frame, [r, f], owner)
    check_not_empty(frame, owner, "scored")
    r_scores = numeric_column(frame, r, owner)
    f_scores = numeric_column(frame, f, owner)
    if bins is None:
        model = frame.attrs.get("rfm_model")
        if isinstance(model, dict) and isinstance(model.get("bins"), int):
            bins = int(model["bins"])
        else:
            bins = int(max(r_scores.max(), f_scores.max(), 1))
    if isinstance(bins, bool) or not isinstance(bins, int) or bins < 1:
        raise ConfigError(owner, "bins", expected="a positive int", found=repr(bins))
    for column, values in ((r, r_scores), (f, f_scores)):
        bad = (values != np.round(values)) | (values < 1) | (values > bins)
        if bad.any():
            raise InvalidInputError(
                owner,
                column,
                expected=f"whole scores from 1 to {bins}",
                found=f"{int(bad.sum())} other values",
                rows=first_labels(frame.index, bad),
                total=int(bad.sum()),
            )
    cells = (f_scores.astype(np.int64) - 1) * bins + (r_scores.astype(np.int64) - 1)
    grid = np.bincount(cells, minlength=bins * bins).reshape(bins, bins).astype(np.float64)
    ax = _axes(ax, owner, (1.6 + 0.9 * bins, 1.0 + 0.8 * bins))
    image = _heatmap(ax, grid, cmap_name="Blues", vmin=0.0, vmax=None, origin="lower")
    scores = [str(s) for s in range(1, bins + 1)]
    _grid_ticks(ax, scores, scores)
    if annotate and bins * bins <= _MAX_ANNOTATED_CELLS:
        # Rows are drawn bottom-up (origin "lower"): row index j sits at y = j.
        _annotate_cells(ax, image, [[f"{int(v):,}" for v in row] for row in grid], grid)
    ax.set_xlabel("recency score (higher = more recent)")
    ax.set_ylabel("frequency score (higher = more orders)")
    ax.figure.colorbar(image, ax=ax, label="customers")
    _title(ax, title, "Customers by recency and frequency score")
    _cjk_text(ax, owner)
    return ax


# --------------------------------------------------------------------------- lifecycle


def _stage_columns(frame: pd.DataFrame, owner: str) -> pd.CategoricalDtype:
    """The common categorical dtype of a lifecycle history's snapshot columns."""
    if frame.shape[1] == 0:
        raise SchemaError(
            owner,
            "snapshots",
            expected="at least one snapshot column",
            found="no columns",
            hint="Pass the output of lifecycle_history().",
            kind="",
        )
    dtype = frame.dtypes.iloc[0]
    for column in frame.columns:
        current = frame[column].dtype
        if not isinstance(current, pd.CategoricalDtype) or current != dtype:
            raise SchemaError(
                owner,
                _plain(column),
                expected="a stage categorical like every snapshot column",
                found=f"dtype {current}",
                hint="Pass the output of lifecycle_history().",
            )
    assert isinstance(dtype, pd.CategoricalDtype)  # checked in the loop above
    return dtype


def plot_lifecycle_stages(
    history: pd.DataFrame,
    *,
    share: bool = False,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Stacked bars of customers per lifecycle stage at each snapshot.

    One bar per snapshot (in time order), one colour per stage (youngest stage at the
    bottom). Customers who had not bought yet at a snapshot (NaN in the history) are
    not counted there.

    Args:
        history: The output of :func:`crmkit.segmentation.lifecycle_history` (one
            column per snapshot, each an ordered stage categorical).
        share: Draw each snapshot's shares (bars of height 1) instead of counts.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.containers[k]`` holds stage ``k``'s bars, one per
        snapshot, whose heights are the counts (or shares).

    Raises:
        SchemaError: A column is not a stage categorical, or there are no columns.
        InvalidInputError: A snapshot with no customer at all when ``share=True``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_lifecycle_stages
        >>> from crmkit.segmentation import lifecycle_history
        >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
        ...                    "date": pd.to_datetime(["2025-01-10", "2025-08-01", "2025-03-01"])})
        >>> h = lifecycle_history(tx, as_of=["2025-01-31", "2025-06-30", "2025-09-30"], amount=None)
        >>> ax = plot_lifecycle_stages(h)
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['2025-01-31', '2025-06-30', '2025-09-30']
        >>> {c.get_label(): [int(b.get_height()) for b in c] for c in ax.containers}["at_risk"]
        [0, 2, 0]
        >>> plt.close(ax.figure)
    """
    owner = "plot_lifecycle_stages()"
    frame = require_frame(history, owner, "history")
    dtype = _stage_columns(frame, owner)
    stages = list(dtype.categories)
    k = len(stages)
    codes = np.column_stack([frame[c].cat.codes.to_numpy(dtype=np.int64) for c in frame.columns])
    n_snapshots = codes.shape[1]
    cell = codes * n_snapshots + np.arange(n_snapshots)[None, :]  # (stage, snapshot) cells
    counts = (
        np.bincount(cell[codes >= 0], minlength=k * n_snapshots)
        .reshape(k, n_snapshots)
        .astype(np.float64)
    )
    values = counts
    if share:
        totals = counts.sum(axis=0)
        if (totals == 0).any():
            empty = [_text(c) for c, t in zip(frame.columns, totals, strict=True) if t == 0]
            raise InvalidInputError(
                owner,
                "history",
                expected="customers at every snapshot for shares",
                found=f"no customer at {empty[:5]}",
                kind="",
            )
        values = counts / totals
    labels = [_text(c) for c in frame.columns]
    n = len(labels)
    ax = _axes(ax, owner, (max(5.0, 1.5 + 0.6 * n), 4.5))
    x = np.arange(n, dtype=np.float64)
    bottom = np.zeros(n)
    for i, (stage, colour) in enumerate(zip(stages, _colours(stages), strict=True)):
        ax.bar(x, values[i], 0.8, bottom=bottom, color=colour, label=str(stage))
        bottom = bottom + values[i]
    ax.set_xticks(x, labels=labels, rotation=45 if n > 6 else 0, ha="right" if n > 6 else "center")
    if share:
        ax.set_ylim(0, 1)
        _percent_axis(ax.yaxis)
        ax.set_ylabel("share of customers")
    else:
        ax.set_ylabel("customers")
    ax.set_xlabel("snapshot")
    handles, legend_labels = ax.get_legend_handles_labels()
    # Legend top-down like the stack: the oldest stage is drawn on top.
    ax.legend(
        handles[::-1],
        legend_labels[::-1],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        frameon=False,
    )
    _title(ax, title, "Customers by lifecycle stage")
    _cjk_text(ax, owner)
    return ax


def plot_transition_matrix(
    matrix: Any,
    *,
    values: Literal["shares", "counts"] = "shares",
    annotate: bool = True,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Heatmap of stage-to-stage moves between two snapshots.

    Rows are the stages at the start, columns the stages at the end, both in business
    order. Coloured by row share (where the customers of a stage went); each cell shows
    its share and count. A row for a stage nobody was in stays blank (its shares are NaN,
    not 0).

    Args:
        matrix: A :class:`crmkit.segmentation.TransitionMatrix`, or a square frame of
            counts or shares (stages at start x stages at end).
        values: Colour by ``"shares"`` (row shares, 0 to 1) or ``"counts"``.
        annotate: Write the share and count in each cell.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: the two snapshots; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.images[0].get_array()`` is the coloured matrix
        (masked where NaN).

    Raises:
        InvalidInputError: ``matrix`` is neither a transition matrix nor a frame, or holds
            non-numeric values.
        ConfigError: An unknown ``values``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_transition_matrix
        >>> from crmkit.segmentation import lifecycle_history, transition_matrix
        >>> tx = pd.DataFrame({"customer_id": [1, 2, 2],
        ...                    "date": pd.to_datetime(["2025-01-02", "2025-01-03", "2025-04-20"])})
        >>> h = lifecycle_history(tx, as_of=["2025-01-31", "2025-05-31"], amount=None)
        >>> ax = plot_transition_matrix(transition_matrix(h, "2025-01-31", "2025-05-31"))
        >>> ax.get_title()
        'Stage moves from 2025-01-31 to 2025-05-31'
        >>> ax.images[0].get_array()[0].tolist()  # from "new": half active, half at risk
        [0.0, 0.0, 0.5, 0.5, 0.0, 0.0]
        >>> bool(ax.images[0].get_array().mask[1].all())  # nobody was "reactivated"
        True
        >>> plt.close(ax.figure)
    """
    owner = "plot_transition_matrix()"
    _check_values(values, owner)
    from crmkit.segmentation._transitions import TransitionMatrix

    default_title = "Stage moves"
    counts: pd.DataFrame | None
    if isinstance(matrix, TransitionMatrix):
        counts = matrix.counts
        shown = matrix.shares if values == "shares" else matrix.counts
        default_title = f"Stage moves from {_text(matrix.start)} to {_text(matrix.end)}"
    elif isinstance(matrix, pd.DataFrame):
        counts = None
        shown = matrix
    else:
        raise InvalidInputError(
            owner,
            "matrix",
            expected="a TransitionMatrix or a DataFrame",
            found=type(matrix).__name__,
            kind="",
        )
    check_not_empty(shown, owner, "matrix")
    grid = _numeric_grid(shown, owner)
    rows = [_text(v) for v in shown.index]
    columns = [_text(v) for v in shown.columns]
    ax = _axes(ax, owner, (1.8 + 0.95 * len(columns), 1.2 + 0.6 * len(rows)))
    is_share = values == "shares" and counts is not None
    image = _heatmap(
        ax,
        grid,
        cmap_name="Purples",
        vmin=0.0,
        vmax=1.0 if is_share else None,
    )
    _grid_ticks(ax, rows, columns)
    ax.tick_params(axis="x", labelrotation=30)
    if annotate and grid.size <= _MAX_ANNOTATED_CELLS:
        count_grid = None if counts is None else counts.to_numpy(dtype=np.float64)
        labels = []
        for i in range(grid.shape[0]):
            row = []
            for j in range(grid.shape[1]):
                v = grid[i, j]
                if np.isnan(v):
                    row.append("")
                elif count_grid is not None and is_share:
                    row.append(f"{_percent(v)}\n({int(count_grid[i, j]):,})")
                else:
                    row.append(f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")
            labels.append(row)
        _annotate_cells(ax, image, labels, grid)
    ax.set_xlabel(_axis_name(shown.columns.name, "to"))
    ax.set_ylabel(_axis_name(shown.index.name, "from"))
    colorbar = ax.figure.colorbar(image, ax=ax, label="share of row" if is_share else "customers")
    if is_share:
        _percent_axis(colorbar.ax.yaxis)
    _title(ax, title, default_title)
    _cjk_text(ax, owner)
    return ax


def plot_cohort_retention(
    table: Any,
    *,
    values: Literal["shares", "counts"] = "shares",
    annotate: bool | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Heatmap of a cohort retention table; cells not observable yet stay blank.

    Rows are cohorts (first-purchase periods, oldest on top, labelled with their size),
    columns the periods since the first purchase. A cell whose period had not ended by
    ``as_of`` is NaN in the table and is drawn blank, never as 0: "not seen yet" must
    not look like "churned". An empty cohort (a period in which nobody bought for the
    first time, ``n=0``) has no shares: its row is blank too, and the default title says so.

    Args:
        table: A :class:`crmkit.segmentation.CohortTable`, or a frame of cohorts x
            periods since (e.g. ``table.shares``).
        values: For a ``CohortTable``: ``"shares"`` (of period 0, as percentages) or
            ``"counts"`` (customers, or revenue for ``metric="revenue"``).
        annotate: Write each cell's value (default: when there are at most 400 cells).
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.images[0].get_array()`` is the table as a masked
        array (masked exactly where the table is NaN).

    Raises:
        InvalidInputError: ``table`` is neither a cohort table nor a frame, or is empty or
            not numeric.
        ConfigError: An unknown ``values``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_cohort_retention
        >>> from crmkit.segmentation import cohort_retention
        >>> tx = pd.DataFrame({
        ...     "customer_id": [1, 1, 1, 2, 3, 3, 4],
        ...     "date": pd.to_datetime(["2025-01-03", "2025-02-10", "2025-03-15", "2025-01-20",
        ...                             "2025-02-02", "2025-03-30", "2025-02-14"])})
        >>> ax = plot_cohort_retention(cohort_retention(tx, as_of="2025-03-31", amount=None))
        >>> ax.images[0].get_array().tolist()  # the February cohort's month 2 is unseen
        [[1.0, 0.5, 0.5], [1.0, 0.5, None]]
        >>> [t.get_text() for t in ax.get_yticklabels()]
        ['2025-01 (n=2)', '2025-02 (n=2)']
        >>> plt.close(ax.figure)
    """
    owner = "plot_cohort_retention()"
    _check_values(values, owner)
    from crmkit.segmentation._cohorts import CohortTable

    sizes: pd.Series | None = None
    is_share = False
    unit = "value"
    if isinstance(table, CohortTable):
        frame = table.shares if values == "shares" else table.counts
        sizes = table.sizes
        is_share = values == "shares"
        unit = "share of period 0" if is_share else table.metric
    elif isinstance(table, pd.DataFrame):
        frame = table
    else:
        raise InvalidInputError(
            owner,
            "table",
            expected="a CohortTable or a DataFrame",
            found=type(table).__name__,
            kind="",
        )
    check_not_empty(frame, owner, "table")
    if frame.shape[1] == 0:
        raise InvalidInputError(
            owner, "table", expected="at least one period column", found="none", kind=""
        )
    grid = _numeric_grid(frame, owner)
    rows = [_text(v) for v in frame.index]
    if sizes is not None:
        rows = [f"{label} (n={int(size):,})" for label, size in zip(rows, sizes, strict=True)]
    columns = [_text(v) for v in frame.columns]
    n_rows, n_cols = grid.shape
    ax = _axes(ax, owner, (min(16.0, 2.5 + 0.6 * n_cols), min(12.0, 1.3 + 0.35 * n_rows)))
    observed = grid[~np.isnan(grid)]
    top = float(observed.max()) if observed.size else 1.0
    image = _heatmap(
        ax,
        grid,
        cmap_name="Greens",
        vmin=0.0,
        vmax=max(top, 1e-12) if not is_share else min(max(top, 1e-12), 1.0),
    )
    _grid_ticks(ax, rows, columns)
    if annotate is None:
        annotate = grid.size <= _MAX_ANNOTATED_CELLS
    if annotate:
        labels = [
            [
                ""
                if np.isnan(v)
                else (_percent(v) if is_share else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:,.3g}"))
                for v in row
            ]
            for row in grid
        ]
        _annotate_cells(ax, image, labels, grid)
    ax.set_xlabel(_axis_name(frame.columns.name, "periods since"))
    ax.set_ylabel(_axis_name(frame.index.name, "cohort"))
    colorbar = ax.figure.colorbar(image, ax=ax, label=unit)
    if is_share:
        _percent_axis(colorbar.ax.yaxis)
    blank = "blank: not observable yet"
    if sizes is not None and bool((sizes == 0).any()):
        blank += "; a row of n=0: nobody bought for the first time then"
    _title(ax, title, f"Cohort retention ({blank})")
    _cjk_text(ax, owner)
    return ax


# --------------------------------------------------------------------------- service


def _group_keys(frame: pd.DataFrame, by: str | Sequence[str] | None, owner: str) -> list[str]:
    if by is None:
        return [c for c in frame.columns if c not in _METRIC_TABLE_COLUMNS]
    keys = [by] if isinstance(by, str) else list(by)
    require_columns(frame, keys, owner)
    return keys


def plot_metric_trend(
    table: pd.DataFrame,
    *,
    by: str | Sequence[str] | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """A metric over periods with its confidence band; low-sample points drawn hollow.

    One line per group (the ``by`` columns of :func:`crmkit.service.metric_table`) with
    a shaded band from ``lower`` to ``upper``. Points whose group had fewer responses
    than ``min_n`` (``low_sample``) are drawn as hollow circles: read them with care.
    Periods with no scores (``value`` missing) leave a gap in the line.

    Args:
        table: The output of :func:`crmkit.service.metric_table` with a ``period``
            (columns ``period``, ``value``, ``lower``, ``upper``, ``low_sample``).
        by: The group column(s) (default: every column that is not a metric-table
            column; none for one overall line).
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: the metric's name; ``""``: none).

    Returns:
        The matplotlib ``Axes``: per group, ``ax.lines`` holds the line (x = period
        position, y = ``value``) and ``ax.collections`` its band; the x tick labels are
        the periods.

    Raises:
        SchemaError: A needed column (or a ``by`` column) is missing, or ``value`` is not
            numeric.
        InvalidInputError: An empty table.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_metric_trend
        >>> from crmkit.service import metric_table
        >>> df = pd.DataFrame({
        ...     "date": pd.to_datetime(["2025-01-03", "2025-01-20", "2025-02-02", "2025-02-11",
        ...                             "2025-02-20"]),
        ...     "nps": [10, 6, 9, 9, 10]})
        >>> ax = plot_metric_trend(metric_table(df, "nps", min_n=3))
        >>> ax.lines[0].get_ydata().tolist()
        [0.0, 100.0]
        >>> [t.get_text() for t in ax.get_xticklabels()]
        ['2025-01', '2025-02']
        >>> ax.get_ylabel()
        'NPS (points, -100 to 100)'
        >>> plt.close(ax.figure)
    """
    owner = "plot_metric_trend()"
    frame = require_frame(table, owner, "table")
    require_columns(frame, ["period", "value", "lower", "upper", "low_sample"], owner)
    check_not_empty(frame, owner, "table")
    keys = _group_keys(frame, by, owner)
    value = _numeric_or_nan(frame, "value", owner)
    lower = _numeric_or_nan(frame, "lower", owner)
    upper = _numeric_or_nan(frame, "upper", owner)
    low = frame["low_sample"].fillna(False).to_numpy(dtype=bool)
    periods = pd.Index(frame["period"].unique()).sort_values()
    position = periods.get_indexer(frame["period"])
    ax = _axes(ax, owner, (max(6.0, 1.5 + 0.5 * len(periods)), 4.5))
    if keys:
        grouped = frame.groupby(keys, observed=True, sort=True, dropna=False).indices
        groups = [
            (_text(k[0] if isinstance(k, tuple) and len(k) == 1 else k), v)
            for k, v in grouped.items()
        ]
    else:
        groups = [("", np.arange(len(frame)))]
    colours = _colours([name for name, _ in groups])
    flagged = False
    for (name, members), colour in zip(groups, colours, strict=True):
        rows = np.asarray(members)[np.argsort(position[members], kind="stable")]
        x = position[rows].astype(np.float64)
        ax.fill_between(x, lower[rows], upper[rows], color=colour, alpha=0.18, linewidth=0)
        ax.plot(x, value[rows], marker="o", color=colour, label=name or "value")
        hollow = rows[low[rows] & ~np.isnan(value[rows])]
        if hollow.size:
            ax.scatter(
                position[hollow],
                value[hollow],
                s=60,
                facecolors="white",
                edgecolors=colour,
                linewidths=1.5,
                zorder=3,
            )
            flagged = True
    labels = [_text(p) for p in periods]
    step = max(1, int(np.ceil(len(labels) / 12)))
    ticks = np.arange(0, len(labels), step)
    rotate = len(ticks) > 6
    ax.set_xticks(
        ticks,
        labels=[labels[i] for i in ticks],
        rotation=45 if rotate else 0,
        ha="right" if rotate else "center",
    )
    ax.set_xlabel("period")
    metric = frame.attrs.get("metric")
    ax.set_ylabel(_METRIC_LABELS.get(str(metric), "value"))
    level = frame.attrs.get("level")
    band = f"{float(level) * 100:g}% interval" if isinstance(level, (int, float)) else "interval"
    if flagged:
        ax.scatter(
            [],
            [],
            s=60,
            facecolors="white",
            edgecolors="grey",
            linewidths=1.5,
            label="low sample (n < min_n)",
        )
    ax.plot([], [], linewidth=8, alpha=0.18, color="grey", label=f"shaded: {band}")
    ax.legend(frameon=False, fontsize="small", loc="best")
    ax.grid(alpha=0.3)
    name = str(metric).upper().replace("_MEAN", " (mean)") if metric else "Metric"
    split = " and ".join([*(str(k) for k in keys), "period"])
    _title(ax, title, f"{name} by {split}")
    _cjk_text(ax, owner)
    return ax


def plot_sla_attainment(
    table: pd.DataFrame,
    *,
    goal: float | None = None,
    ax: Any = None,
    title: str | None = None,
) -> Any:
    """Horizontal bars of SLA attainment per group with Wilson interval error bars.

    One bar per group (in the table's order, from the top), labelled with the
    attainment and the number of verdicts. With a ``goal``, a dashed line marks it and
    groups whose whole interval lies below it are drawn red. A group with no verdicts
    (``n = 0``) gets no bar, only a note.

    Args:
        table: The output of :func:`crmkit.service.sla_attainment` (columns
            ``attainment``, ``ci_low``, ``ci_high`` and ``n``; the index names the
            groups; a MultiIndex is joined with " / ").
        goal: The agreed attainment, e.g. ``0.9``, in ``(0, 1]``.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.containers[0]`` holds the bars (widths are the
        attainments, 0 where ``n = 0``), ``ax.containers[1]`` the error bars.

    Raises:
        SchemaError: A needed column is missing.
        InvalidInputError: An empty table.
        ConfigError: ``goal`` outside ``(0, 1]``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_sla_attainment
        >>> from crmkit.service import sla_attainment
        >>> results = pd.DataFrame({"target": ["first_response"] * 4 + ["resolution"] * 2,
        ...     "state": ["met", "met", "breached", "running", "met", "met"]})
        >>> ax = plot_sla_attainment(sla_attainment(results), goal=0.9)
        >>> [round(float(bar.get_width()), 3) for bar in ax.containers[0]]
        [0.667, 1.0]
        >>> [t.get_text() for t in ax.texts]
        ['67% (n=3)', '100% (n=2)']
        >>> plt.close(ax.figure)
    """
    owner = "plot_sla_attainment()"
    if goal is not None and (
        isinstance(goal, bool) or not isinstance(goal, (int, float)) or not 0 < goal <= 1
    ):
        raise ConfigError(owner, "goal", expected="a number in (0, 1] or None", found=repr(goal))
    frame = require_frame(table, owner, "table")
    require_columns(frame, ["attainment", "ci_low", "ci_high", "n"], owner)
    check_not_empty(frame, owner, "table")
    attainment = _numeric_or_nan(frame, "attainment", owner)
    ci_low = _numeric_or_nan(frame, "ci_low", owner)
    ci_high = _numeric_or_nan(frame, "ci_high", owner)
    n = numeric_column(frame, "n", owner)
    has = (n > 0) & ~np.isnan(attainment)
    labels = [_text(v) for v in frame.index]
    count = len(labels)
    ax = _axes(ax, owner, (7.0, 1.3 + 0.42 * count))
    y = np.arange(count, dtype=np.float64)
    widths = np.where(has, attainment, 0.0)
    below = has & (ci_high < goal) if goal is not None else np.zeros(count, dtype=bool)
    colours = ["#d62728" if b else _CUSTOMERS_COLOUR for b in below]
    ax.barh(y, widths, 0.6, color=colours)
    err = np.vstack(
        [np.where(has, widths - ci_low, np.nan), np.where(has, ci_high - widths, np.nan)]
    )
    ax.errorbar(
        widths, y, xerr=np.clip(err, 0.0, None), fmt="none", ecolor="black", capsize=3, linewidth=1
    )
    for i in range(count):
        if has[i]:
            ax.text(
                float(ci_high[i]) + 0.01,
                y[i],
                f"{_percent(float(attainment[i]))} (n={int(n[i]):,})",
                va="center",
                fontsize="small",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 1.0},
            )
        else:
            ax.text(0.01, y[i], "no verdicts (n=0)", va="center", fontsize="small", color="grey")
    if goal is not None:
        ax.axvline(goal, color="black", linestyle="--", linewidth=1, label=f"goal {_percent(goal)}")
        if below.any():
            from matplotlib.patches import Patch

            handles = [
                Patch(color="#d62728", label="interval wholly below the goal"),
                *ax.get_legend_handles_labels()[0],
            ]
        else:
            handles = ax.get_legend_handles_labels()[0]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.12),
            ncols=2,
            frameon=False,
            fontsize="small",
        )
    ax.set_yticks(y, labels=labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.2)
    ax.set_xticks(np.linspace(0, 1, 6))
    _percent_axis(ax.xaxis)
    ax.set_xlabel("attainment: met / (met + breached), with Wilson interval")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    _title(ax, title, "SLA attainment")
    _cjk_text(ax, owner)
    return ax


# --------------------------------------------------------------------------- clv (branch clv)


def plot_period_transactions(
    table: pd.DataFrame, *, ax: Any = None, title: str | None = None
) -> Any:
    """Bars of customers by number of repeat purchases: actual next to the fitted model.

    Args:
        table: The output of :func:`crmkit.segmentation.period_transactions` (columns
            ``actual`` and ``model``, indexed by frequency).
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``: the first bar container is ``actual``, the second
        ``model``.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_period_transactions
        >>> table = pd.DataFrame({"actual": [50, 30, 20], "model": [48.5, 31.0, 20.5]},
        ...                      index=pd.RangeIndex(3, name="frequency"))
        >>> ax = plot_period_transactions(table)
        >>> [float(b.get_height()) for b in ax.containers[0]]
        [50.0, 30.0, 20.0]
        >>> plt.close(ax.figure)
    """
    owner = "plot_period_transactions()"
    frame = require_frame(table, owner, "table")
    require_columns(frame, ["actual", "model"], owner)
    check_not_empty(frame, owner, "table")
    actual = numeric_column(frame, "actual", owner)
    model = numeric_column(frame, "model", owner)
    ax = _axes(ax, owner, (7.0, 4.0))
    where = np.arange(len(frame))
    ax.bar(where - 0.2, actual, width=0.4, label="actual", color=_CUSTOMERS_COLOUR)
    ax.bar(where + 0.2, model, width=0.4, label="model", color=_REVENUE_COLOUR)
    labels = [_text(v) for v in frame.index]
    if labels:
        labels[-1] = labels[-1] + "+"
    ax.set_xticks(where, labels=labels)
    ax.set_xlabel("repeat purchases")
    ax.set_ylabel("customers")
    ax.legend()
    _title(ax, title, "Customers by repeat purchases: actual vs model")
    _cjk_text(ax, owner)
    return ax


def plot_calibration_holdout(
    table: pd.DataFrame, *, ax: Any = None, title: str | None = None
) -> Any:
    """Mean holdout purchases by calibration frequency: actual and expected lines.

    Args:
        table: The output of :func:`crmkit.segmentation.calibration_holdout_comparison`.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes`` with two lines (``actual``, ``expected``).

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> import pandas as pd
        >>> from crmkit.plotting import plot_calibration_holdout
        >>> table = pd.DataFrame({"customers": [10, 5], "actual": [0.2, 1.1],
        ...                       "expected": [0.25, 1.0]},
        ...                      index=pd.RangeIndex(2, name="frequency_cal"))
        >>> ax = plot_calibration_holdout(table)
        >>> ax.lines[1].get_ydata().tolist()
        [0.25, 1.0]
        >>> plt.close(ax.figure)
    """
    owner = "plot_calibration_holdout()"
    frame = require_frame(table, owner, "table")
    require_columns(frame, ["actual", "expected"], owner)
    check_not_empty(frame, owner, "table")
    ax = _axes(ax, owner, (7.0, 4.0))
    where = np.arange(len(frame))
    ax.plot(where, _numeric_or_nan(frame, "actual", owner), marker="o", label="actual",
            color=_CUSTOMERS_COLOUR)  # fmt: skip
    ax.plot(where, _numeric_or_nan(frame, "expected", owner), marker="s", linestyle="--",
            label="expected (model)", color=_REVENUE_COLOUR)  # fmt: skip
    labels = [_text(v) for v in frame.index]
    if labels:
        labels[-1] = labels[-1] + "+"
    ax.set_xticks(where, labels=labels)
    ax.set_xlabel("purchases in the calibration period")
    ax.set_ylabel("mean purchases in the holdout")
    ax.legend()
    _title(ax, title, "Calibration vs holdout")
    _cjk_text(ax, owner)
    return ax


def plot_frequency_recency(
    matrix: pd.DataFrame, *, ax: Any = None, title: str | None = None
) -> Any:
    """Heatmap of :func:`crmkit.segmentation.frequency_recency_matrix` (impossible cells blank).

    Frequency runs up the vertical axis and recency along the horizontal one, so the most
    valuable customers (frequent and recent) sit at the top right.

    Args:
        matrix: The frequency x recency frame (its ``attrs["quantity"]`` names the values).
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``; ``ax.images[0].get_array()`` is the matrix.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crmkit.plotting import plot_frequency_recency
        >>> from crmkit.segmentation import BetaGeoFit, frequency_recency_matrix
        >>> fit = BetaGeoFit(params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> grid = frequency_recency_matrix(fit, T=39, quantity="p_alive")
        >>> ax = plot_frequency_recency(grid)
        >>> ax.get_title()
        'P(alive) by frequency and recency'
        >>> plt.close(ax.figure)
    """
    owner = "plot_frequency_recency()"
    frame = require_frame(matrix, owner, "matrix")
    check_not_empty(frame, owner, "matrix")
    grid = _numeric_grid(frame, owner)
    quantity = str(frame.attrs.get("quantity", "value"))
    ax = _axes(ax, owner, (8.0, 6.0))
    is_probability = quantity == "p_alive"
    image = _heatmap(
        ax,
        grid,
        cmap_name="viridis",
        vmin=0.0,
        vmax=1.0 if is_probability else None,
        origin="lower",
    )
    ax.set_xlabel(_axis_name(frame.columns.name, "recency"))
    ax.set_ylabel(_axis_name(frame.index.name, "frequency"))
    label = (
        "P(alive)"
        if is_probability
        else f"expected purchases in the next {frame.attrs.get('t', 1):g}"
    )
    ax.figure.colorbar(image, ax=ax, label=label)
    default = (
        "P(alive) by frequency and recency"
        if is_probability
        else "Expected purchases by frequency and recency"
    )
    _title(ax, title, default)
    _cjk_text(ax, owner)
    return ax


def plot_survival_curve(curve: pd.DataFrame, *, ax: Any = None, title: str | None = None) -> Any:
    """Survival and retention rate of a fitted sBG model (``ShiftedBetaGeoFit.curve``).

    Args:
        curve: The frame from :meth:`crmkit.segmentation.ShiftedBetaGeoFit.curve`.
        ax: The axes to draw on (default: a new figure).
        title: The title (``None``: a default; ``""``: none).

    Returns:
        The matplotlib ``Axes``: line 0 is the survival share, line 1 the retention rate.

    Examples:
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> import matplotlib.pyplot as plt
        >>> from crmkit.plotting import plot_survival_curve
        >>> from crmkit.segmentation import ShiftedBetaGeoFit
        >>> fit = ShiftedBetaGeoFit(params={"alpha": 0.704, "beta": 1.182}, time_unit="years")
        >>> ax = plot_survival_curve(fit.curve(12))
        >>> round(float(ax.lines[0].get_ydata()[1]), 3)
        0.627
        >>> plt.close(ax.figure)
    """
    owner = "plot_survival_curve()"
    frame = require_frame(curve, owner, "curve")
    require_columns(frame, ["survival", "retention_rate"], owner)
    check_not_empty(frame, owner, "curve")
    ax = _axes(ax, owner, (7.0, 4.0))
    periods = np.asarray(frame.index, dtype=np.float64)
    ax.plot(periods, _numeric_or_nan(frame, "survival", owner), marker="o",
            label="still active (survival)", color=_CUSTOMERS_COLOUR)  # fmt: skip
    ax.plot(periods, _numeric_or_nan(frame, "retention_rate", owner), marker="s",
            linestyle="--", label="retention rate", color=_REVENUE_COLOUR)  # fmt: skip
    ax.set_ylim(0.0, 1.02)
    _percent_axis(ax.yaxis)
    unit = str(frame.attrs.get("time_unit", "periods"))
    ax.set_xlabel(f"{unit} since joining")
    ax.legend()
    _title(ax, title, "Projected retention (sBG)")
    _cjk_text(ax, owner)
    return ax
