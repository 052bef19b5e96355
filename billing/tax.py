"""Brazilian taxes on plan prices, computed to the centavo.

Stripe Tax cannot collect Brazil's domestic taxes for a Brazil-based seller, so Peepers applies
its own configured rates (``TaxRate``) to subscriptions as Stripe manual tax rates, and shows
the same figures before checkout. The rule, per amount and per rate (integers in centavos):

* Inclusive rates are inside the amount. With ``P`` the sum of inclusive percentages, each
  inclusive rate ``p`` is ``round(amount * p / (100 + P))``; the taxable base is the amount minus
  those taxes.
* Exclusive rates are added to the taxable base: ``round(base * p / 100)``.
* ``round`` is half-up on the magnitude, so a proration credit mirrors its charge exactly.

Issuing the NFS-e (the municipal service invoice) stays outside Stripe; see docs/billing.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class RateSpec:
    name: str
    percentage: Decimal
    inclusive: bool


@dataclass(frozen=True)
class TaxLine:
    name: str
    percentage: Decimal
    inclusive: bool
    amount: int


@dataclass(frozen=True)
class TaxBreakdown:
    """``amount`` under ``rates``: what the customer pays and what of it is tax."""

    amount: int
    taxable: int
    lines: tuple[TaxLine, ...]

    @property
    def tax(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total(self) -> int:
        return self.amount + sum(line.amount for line in self.lines if not line.inclusive)


def centavos(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def tax_breakdown(*, amount: int, rates: Sequence[RateSpec]) -> TaxBreakdown:
    inclusive_total = sum((r.percentage for r in rates if r.inclusive), Decimal(0))
    inclusive = [
        centavos(Decimal(amount) * r.percentage / (100 + inclusive_total)) if r.inclusive else 0
        for r in rates
    ]
    taxable = amount - sum(inclusive)
    lines = tuple(
        TaxLine(
            name=r.name,
            percentage=r.percentage,
            inclusive=r.inclusive,
            amount=included if r.inclusive else centavos(Decimal(taxable) * r.percentage / 100),
        )
        for r, included in zip(rates, inclusive, strict=True)
    )
    return TaxBreakdown(amount=amount, taxable=taxable, lines=lines)
