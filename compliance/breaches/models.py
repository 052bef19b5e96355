"""Breach cases on the ANPD clock (LGPD Art. 48, Res. CD/ANPD 15/2024)."""
