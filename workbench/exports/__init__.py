"""Exports for auditors and regulators, streamed so their size does not matter."""
