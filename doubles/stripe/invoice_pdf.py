"""A hosted invoice as a small, valid one-page PDF (Helvetica text, no images, no fonts embedded).

It is a real PDF that viewers and ``pypdf`` open — lines of text only, nothing like Stripe's
designed invoice. Characters outside Windows-1252 print as ``?``.
"""

from __future__ import annotations

from doubles.stripe.clock import day_label
from doubles.stripe.invoicing import money
from doubles.stripe.records import Invoice
from doubles.stripe.state import EmulatorState

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 56
LINE_HEIGHT = 16
MAX_LINES = (PAGE_HEIGHT - 2 * MARGIN) // LINE_HEIGHT


def invoice_text(state: EmulatorState, invoice: Invoice) -> list[str]:
    customer = state.store.customers.find(invoice.customer)
    lines = [
        f"Invoice {invoice.number or invoice.id}",
        f"Status: {invoice.status}",
        f"Issued: {day_label(invoice.finalized_at or invoice.created)}",
        f"Billed to: {(customer.name or customer.email or customer.id) if customer else '-'}",
        "",
    ]
    for line in invoice.lines:
        lines.append(f"{line.description}: {money(line.amount)}")
    lines += [
        "",
        f"Subtotal: {money(invoice.subtotal)}",
        f"Tax: {money(invoice.tax)}",
        f"Total: {money(invoice.total)}",
        f"Amount due: {money(invoice.amount_due)}",
        f"Amount paid: {money(invoice.amount_paid)}",
        "",
        "Peepers Stripe emulator - test mode, no real money moves.",
    ]
    return lines


def _escape(text: str) -> bytes:
    raw = text.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_document(lines: list[str]) -> bytes:
    """One A4 page with ``lines`` top to bottom (extra lines are cut)."""
    text = [b"BT", b"/F1 11 Tf", f"{MARGIN} {PAGE_HEIGHT - MARGIN} Td".encode()]
    text.append(f"{LINE_HEIGHT} TL".encode())
    for line in lines[:MAX_LINES]:
        text.append(b"(" + _escape(line) + b") Tj T*")
    text.append(b"ET")
    stream = b"\n".join(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
        "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)
