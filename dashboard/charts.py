"""The overview's revenue chart as SVG geometry, computed on the server (no chart library)."""

from __future__ import annotations

from dataclasses import dataclass

from integrations.mercadolivre.selectors.sales import DaySales, SalesSummary

CHART_WIDTH = 600
CHART_HEIGHT = 160
BAR_GAP = 4


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: DaySales


def revenue_bars(summary: SalesSummary) -> list[Bar]:
    """One bar per day, heights proportional to the peak day's revenue (1 px for a sale of 0)."""
    days = summary.days
    if not days:
        return []
    slot = CHART_WIDTH / len(days)
    peak = summary.peak_revenue_cents
    bars = []
    for index, day in enumerate(days):
        height = (day.revenue_cents / peak * (CHART_HEIGHT - 2)) if peak else 0.0
        height = max(height, 1.0)
        bars.append(
            Bar(
                x=round(index * slot + BAR_GAP / 2, 2),
                y=round(CHART_HEIGHT - height, 2),
                width=round(slot - BAR_GAP, 2),
                height=round(height, 2),
                day=day,
            )
        )
    return bars
