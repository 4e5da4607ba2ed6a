"""Accounts: creating users, checking passwords, issuing and resolving API tokens."""
