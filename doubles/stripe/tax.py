"""Tax rates on invoice lines, and the rounding the app's tests compare against to the centavo.

The rule, per line and per rate (amounts in centavos, ``Decimal`` arithmetic):

* Inclusive rates are already inside the line amount. With ``P`` the sum of the line's inclusive
  percentages, each inclusive rate ``p`` contributes ``round(amount * p / (100 + P))``; the
  line's taxable amount is ``amount - sum(inclusive taxes)``.
* Exclusive rates are added on top of the taxable amount: ``round(taxable * p / 100)``.
* ``round`` is half-up on the magnitude (``ROUND_HALF_UP``: 0.5 → 1, -0.5 → -1), so a proration
  credit mirrors the matching charge exactly.
* Invoice: ``subtotal`` = sum of line amounts; ``tax`` = sum of every tax amount; ``total`` =
  ``subtotal`` + exclusive taxes; ``total_excluding_tax`` = ``total - tax``.

A price's ``tax_behavior`` only matters to Stripe Tax (automatic tax), which the emulator does not
model — as in Stripe, manual tax rates carry their own ``inclusive`` flag.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from doubles.stripe.records import InvoiceLine, TaxAmount, TaxRate


def centavos(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def line_taxes(amount: int, rates: list[TaxRate]) -> list[TaxAmount]:
    """The tax amounts of one line of ``amount`` under ``rates`` (in the rates' order)."""
    inclusive_total = sum((Decimal(str(r.percentage)) for r in rates if r.inclusive), Decimal(0))
    inclusive = {
        r.id: centavos(Decimal(amount) * Decimal(str(r.percentage)) / (100 + inclusive_total))
        for r in rates
        if r.inclusive
    }
    taxable = amount - sum(inclusive.values())
    taxes: list[TaxAmount] = []
    for rate in rates:
        if rate.inclusive:
            tax = inclusive[rate.id]
        else:
            tax = centavos(Decimal(taxable) * Decimal(str(rate.percentage)) / 100)
        taxes.append(
            TaxAmount(
                tax_rate=rate.id, amount=tax, inclusive=rate.inclusive, taxable_amount=taxable
            )
        )
    return taxes


def invoice_totals(lines: list[InvoiceLine]) -> tuple[int, int, int]:
    """``(subtotal, tax, total)`` of lines whose ``taxes`` are computed."""
    subtotal = sum(line.amount for line in lines)
    tax = sum(t.amount for line in lines for t in line.taxes)
    exclusive = sum(t.amount for line in lines for t in line.taxes if not t.inclusive)
    return subtotal, tax, subtotal + exclusive
