"""Money reads the Brazilian way on every page and e-mail, whatever the language."""

from core.money import brl


def test_money_is_shown_the_brazilian_way():
    assert brl(123456) == "R$ 1.234,56"
    assert brl(123456789) == "R$ 1.234.567,89"
    assert brl(5) == "R$ 0,05"
    assert brl(-4900) == "-R$ 49,00"
