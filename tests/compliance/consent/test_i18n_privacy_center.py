"""The privacy center's choice labels (legal basis, consent decision and channel, request kind)
in pt-BR by default and in English when chosen."""

import pytest

from tests.support.clients import store_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("portuguese")]


def part(page: str, opening: str, closing: str) -> str:
    return page.split(opening, 1)[1].split(closing, 1)[0]


def test_the_privacy_center_labels_follow_the_sellers_language(tenant_a):
    client = store_client(tenant_a, login=True)
    client.post("/privacy/consent", {"purpose": "marketing_email", "decision": "grant"})
    client.post("/privacy/erasure", {"confirm": "on"})

    pt = client.get("/privacy/").text
    client.post("/i18n/setlang/", {"language": "en", "next": "/privacy/"})
    en = client.get("/privacy/").text

    contract = part(pt, 'id="purpose-service_contract"', "</tr>")
    history = part(pt, 'id="consent-history"', "</table>")
    assert "<td>Execução de contrato (Art. 7º, V)</td>" in contract
    assert "Performance of a contract" not in pt
    assert "<td>Concedido</td>" in history
    assert "<td>Central de privacidade</td>" in history
    assert "Anonimização, bloqueio ou eliminação" in part(pt, 'id="open-requests"', "</ul>")

    assert "<td>Performance of a contract (Art. 7 V)</td>" in en
    assert "<td>Granted</td>" in en
    assert "<td>Privacy center</td>" in en
    assert "Anonymization, blocking or deletion" in en
