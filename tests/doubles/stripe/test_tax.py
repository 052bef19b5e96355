"""Manual tax rates on subscription invoices, to the centavo (rounding half-up per line)."""

from .flows import invoice_tax, paying_customer, plan, subscribe


def rate(client, percentage, inclusive):
    return client.v1.tax_rates.create(
        params={
            "display_name": "ISS" if inclusive else "IVA",
            "percentage": percentage,
            "inclusive": inclusive,
            "country": "BR",
        }
    )


def invoice_for(client, *rates):
    pro = plan(client, "Pro", 4990)
    sub = subscribe(
        client, paying_customer(client), pro.price, default_tax_rates=[r.id for r in rates]
    )
    return client.v1.invoices.retrieve(sub.latest_invoice)


def test_exclusive_rate_is_added_on_top(client):
    invoice = invoice_for(client, rate(client, 5, inclusive=False))

    # 4990 x 5% = 249.5 -> 250
    assert (invoice.subtotal, invoice_tax(invoice), invoice.total) == (4990, 250, 5240)
    assert invoice.amount_paid == 5240
    assert invoice.total_excluding_tax == 4990


def test_inclusive_rate_is_carved_out_of_the_price(client):
    invoice = invoice_for(client, rate(client, 9.25, inclusive=True))

    # 4990 x 9.25 / 109.25 = 422.49 -> 422
    assert (invoice.subtotal, invoice_tax(invoice), invoice.total) == (4990, 422, 4990)
    assert invoice.total_excluding_tax == 4568
    assert invoice.lines.data[0].taxes[0].taxable_amount == 4568


def test_inclusive_and_exclusive_rates_together(client):
    iss = rate(client, 9.25, inclusive=True)
    extra = rate(client, 5, inclusive=False)

    invoice = invoice_for(client, iss, extra)

    # inclusive 422 (taxable 4568); exclusive 4568 x 5% = 228.4 -> 228
    assert (invoice_tax(invoice), invoice.total, invoice.amount_paid) == (650, 5218, 5218)
    by_rate = {t.tax_rate_details.tax_rate: t.amount for t in invoice.total_taxes}
    assert by_rate == {iss.id: 422, extra.id: 228}
