"""RQ job functions (thin: load by id, call a service) and queue helpers."""
