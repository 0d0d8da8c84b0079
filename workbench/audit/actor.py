"""Who did something. Services receive an Actor; they never read `current_user`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    type: str  # "user", "api_client" or "system"
    id: str

    @classmethod
    def api_client(cls, client_id: int) -> Actor:
        return cls("api_client", str(client_id))

    @classmethod
    def user(cls, user_id: int) -> Actor:
        return cls("user", str(user_id))

    @classmethod
    def system(cls, component: str) -> Actor:
        return cls("system", component)


SYSTEM = Actor.system("workbench")
