"""The PostgreSQL grants for running the workbench under a role that does not own its tables.

The owner role runs the migrations; the app role (web, workers, sweeper) gets what the app
uses and no more: on the audit tables only SELECT and INSERT (the chain head: SELECT and
UPDATE), so it cannot rewrite, delete or truncate the log, and, not owning the table, it
cannot drop or disable the triggers either. `flask audit grants ROLE` prints these statements;
run them as the owner after every `flask db upgrade` (new tables need their grants).
"""

from __future__ import annotations

from sqlalchemy import MetaData

APPEND_ONLY_TABLES = ("audit_events", "audit_checkpoints", "audit_tree_nodes")
LOCK_AND_UPDATE_TABLES = ("audit_chain_head",)  # SELECT ... FOR UPDATE, then UPDATE


def quote_identifier(name: str) -> str:
    if not name or "\x00" in name:
        raise ValueError("a role name must be a non-empty string")
    return '"' + name.replace('"', '""') + '"'


def app_role_grants(role: str, metadata: MetaData) -> list[str]:
    """REVOKE everything, then GRANT exactly what the app needs on each of the models' tables."""
    grantee = quote_identifier(role)
    tables = sorted(table.name for table in metadata.sorted_tables)
    special = set(APPEND_ONLY_TABLES) | set(LOCK_AND_UPDATE_TABLES)
    ordinary = [name for name in tables if name not in special]

    def names(selected) -> str:
        return ", ".join(quote_identifier(name) for name in selected)

    return [
        f"REVOKE ALL ON {names(tables)} FROM {grantee}",
        f"GRANT USAGE ON SCHEMA public TO {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {names(ordinary)} TO {grantee}",
        f"GRANT SELECT, INSERT ON {names(name for name in APPEND_ONLY_TABLES if name in tables)} TO {grantee}",
        f"GRANT SELECT, UPDATE ON {names(name for name in LOCK_AND_UPDATE_TABLES if name in tables)} TO {grantee}",
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {grantee}",
    ]
