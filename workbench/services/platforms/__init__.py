"""Platforms (API clients): their keys, scopes and rate-limit buckets."""
