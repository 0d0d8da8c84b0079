"""Demo data for `make run`: users, an API client, policy packs, banks, items through the real API."""
