"""Small charts drawn on the server as inline SVG: no chart library, nothing to download.

Each function returns markup safe to place in a template; every label is escaped.
"""

from collections.abc import Sequence

from markupsafe import Markup, escape

BAR_HEIGHT = 22
LABEL_WIDTH = 160
BAR_WIDTH = 260
CELL = 44


def bar_chart(rows: Sequence[tuple[str, float]], *, title: str, fmt: str = "{:g}") -> Markup:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    if not rows:
        return Markup("")
    top = max(value for _, value in rows) or 1
    height = BAR_HEIGHT * len(rows)
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {LABEL_WIDTH + BAR_WIDTH + 70} {height}"'
        f' aria-label="{escape(title)}"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(rows):
        y, width = index * BAR_HEIGHT, max(1.0, BAR_WIDTH * value / top)
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{width:.1f}" height="{BAR_HEIGHT - 6}"'
            f' class="bar"></rect><text x="{LABEL_WIDTH + width + 6:.1f}" y="{y + 15}">'
            f"{escape(fmt.format(value))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _shade(count: int, row_total: int) -> str:
    """Cell colour: the share of its row, so a small class's errors show as well as a big one's."""
    share = count / row_total if row_total else 0.0
    return f"hsl(215 70% {96 - share * 56:.0f}%)"


def confusion_heatmap(classes: Sequence[str], rows: Sequence[dict]) -> Markup:
    """Actual classes down, predicted across; each cell shaded by its share of the row."""
    size = len(classes)
    if not size or len(rows) != size:
        return Markup("")
    margin = 110
    total = margin + CELL * size
    parts = [
        f'<svg class="chart heatmap" role="img" viewBox="0 0 {total + 70} {total + 10}"'
        ' aria-label="Confusion matrix"><title>Confusion matrix: actual (rows) by predicted'
        " (columns)</title>"
    ]
    for index, label in enumerate(classes):
        centre = margin + CELL * index + CELL / 2
        parts.append(
            f'<text x="{centre:.0f}" y="{margin - 8}" text-anchor="start" '
            f'transform="rotate(-40 {centre:.0f} {margin - 8})">{escape(label)}</text>'
            f'<text x="{margin - 8}" y="{centre + 5:.0f}" text-anchor="end">{escape(label)}</text>'
        )
    for row_index, row in enumerate(rows):
        parts.extend(_heat_row(row_index, list(row["counts"]), margin))
    parts.append("</svg>")
    return Markup("".join(parts))


def _heat_row(row_index: int, counts: list[int], margin: int) -> list[str]:
    row_total = sum(counts)
    cells = []
    for column, count in enumerate(counts):
        x, y = margin + CELL * column, margin + CELL * row_index
        shade = ' class="on-dark"' if row_total and count / row_total > 0.5 else ""
        cells.append(
            f'<rect x="{x}" y="{y}" width="{CELL - 2}" height="{CELL - 2}" '
            f'fill="{_shade(count, row_total)}"></rect><text x="{x + CELL / 2 - 1:.0f}" '
            f'y="{y + CELL / 2 + 4:.0f}" text-anchor="middle"'
            f"{shade}>{count}</text>"
        )
    return cells


def scatter(
    points: Sequence[tuple[float, float]], *, title: str, x_label: str, y_label: str
) -> Markup:
    """Points with a zero line: a residual plot (predicted across, residual up)."""
    if not points:
        return Markup("")
    width, height, pad = 420, 260, 40
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x_low, x_high = min(xs), max(xs) or 1
    span = max(abs(y) for y in ys) or 1

    def place(x: float, y: float) -> tuple[float, float]:
        across = pad + (width - 2 * pad) * ((x - x_low) / ((x_high - x_low) or 1))
        return across, height / 2 - (height / 2 - pad) * y / span

    dots = "".join(
        '<circle cx="{:.1f}" cy="{:.1f}" r="3" class="dot"></circle>'.format(*place(x, y))
        for x, y in points
    )
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>"
        f'<line x1="{pad}" x2="{width - pad}" y1="{height / 2}" y2="{height / 2}" class="axis">'
        f'</line>{dots}<text x="{width / 2}" y="{height - 6}" text-anchor="middle">'
        f'{escape(x_label)}</text><text x="12" y="{height / 2}" transform="rotate(-90 12 '
        f'{height / 2})" text-anchor="middle">{escape(y_label)}</text></svg>'
    )


def trial_chart(
    trials: Sequence[tuple[int, float, bool]], *, title: str, maximize: bool = True
) -> Markup:
    """Each trial's score by its number (a filled dot: complete; hollow: pruned) and the best
    score so far as a step line: how a search progressed."""
    if not trials:
        return Markup("")
    width, height, pad = 420, 240, 40
    low, high = min(s for _, s, _ in trials), max(s for _, s, _ in trials)
    last = max(n for n, _, _ in trials) or 1

    def place(number: float, value: float) -> tuple[float, float]:
        across = pad + (width - 2 * pad) * number / last
        return across, height - pad - (height - 2 * pad) * ((value - low) / ((high - low) or 1))

    dots = "".join(
        _dot(*place(number, value), "dot" if complete else "dot hollow")
        for number, value, complete in trials
    )
    line = " ".join("{:.1f},{:.1f}".format(*place(n, s)) for n, s in _best_so_far(trials, maximize))
    return Markup(
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<line x1="{pad}" x2="{width - pad}" y1="{height - pad}" y2="{height - pad}" '
        f'class="axis"></line><polyline points="{line}" class="best"></polyline>{dots}'
        f'<text x="{width / 2}" y="{height - 8}" text-anchor="middle">trial</text>'
        f'<text x="{pad - 4}" y="{pad - 6}" text-anchor="end">{high:.4g}</text>'
        f'<text x="{pad - 4}" y="{height - pad}" text-anchor="end">{low:.4g}</text></svg>'
    )


def _dot(x: float, y: float, kind: str) -> str:
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="{kind}"></circle>'


def _best_so_far(
    trials: Sequence[tuple[int, float, bool]], maximize: bool
) -> list[tuple[float, float]]:
    """The step line of the best complete score up to each trial."""
    points: list[tuple[float, float]] = []
    best: float | None = None
    for number, value, complete in sorted(trials):
        if complete and (best is None or (value > best if maximize else value < best)):
            if best is not None:
                points.append((number, best))
            best = value
        if best is not None:
            points.append((number, best))
    return points
