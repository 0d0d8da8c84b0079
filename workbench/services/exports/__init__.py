"""What auditors and regulators receive: statements of reasons, transparency figures, audit bundles, audit search."""
