from workbench.audit.actor import Actor, SYSTEM
from workbench.audit.log import canonical_json, record, record_many

__all__ = ["Actor", "SYSTEM", "canonical_json", "record", "record_many"]
