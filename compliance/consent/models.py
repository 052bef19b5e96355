"""The consent ledger of a store's users (tenant schema): append-only grants and revocations."""
