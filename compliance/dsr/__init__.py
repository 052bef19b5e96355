"""Data-subject requests (LGPD Art. 18): taking a request and its legal clock (``requests``),
the access and portability export (``exports``), erasure by the personal-data registry
(``erasure``), and removing personal data from provider JSON (``scrub``)."""
