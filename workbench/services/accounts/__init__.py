"""Staff accounts: users, passwords, login and its backoff, second factor, re-authentication."""
