"""Platforms that call the REST API. Keys are stored only as SHA-256 hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, UTCDateTime, utcnow


class ApiClient(Base):
    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The key's public prefix finds the row; the secret part is compared by hash.
    key_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Decisions are delivered here, signed with the secret (HMAC-SHA256; see docs/webhooks.md).
    webhook_url: Mapped[str | None] = mapped_column(String(2000))
    webhook_secret: Mapped[str | None] = mapped_column(String(64))
    # What the key may do, space-separated (workbench/services/platforms/scopes.py); empty: nothing.
    scopes: Mapped[str] = mapped_column(String(200), default="", server_default="")

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes.split()
