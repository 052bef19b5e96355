"""Backups: checksummed, encrypted pg_dump archives with retention, and verified restores."""
