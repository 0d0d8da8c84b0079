from workbench.audit.actor import SYSTEM, Actor
from workbench.audit.log import canonical_json, record, record_many

__all__ = ["Actor", "SYSTEM", "canonical_json", "record", "record_many"]
