"""The accounts pages on a store's host: login and its second step, password reset,
two-factor setup, the team and the store's settings."""
