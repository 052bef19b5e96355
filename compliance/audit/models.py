"""The audit log: append-only records of security- and privacy-relevant actions."""
