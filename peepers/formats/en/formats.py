"""English pages read dates as Brazilian sellers do: day first, 24-hour clock (``06/12/2026
14:30``, never ``12/06/2026 2:30 p.m.``), like pt-BR in English words.

Only display formats: input formats stay Django's, so admin date widgets and ISO dates keep
working; seller forms take dd/mm/aaaa through ``core.forms.BrazilianDateField``.
"""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
