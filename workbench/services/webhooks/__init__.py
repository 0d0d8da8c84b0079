"""Decision webhooks: the outbox, signed delivery, and the outbound address guard."""
