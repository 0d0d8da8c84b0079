"""All models, imported here so Alembic and `db.create_all` see every table."""
from workbench.models.api_client import ApiClient
from workbench.models.audit import AuditEvent
from workbench.models.blob import Blob
from workbench.models.item import ITEM_KINDS, Item, ItemHash, ItemStatus
from workbench.models.report import REPORT_SOURCES, Report, ReportContact
from workbench.models.user import ROLES, User

__all__ = [
    "ApiClient", "AuditEvent", "Blob", "ITEM_KINDS", "Item", "ItemHash", "ItemStatus",
    "REPORT_SOURCES", "Report", "ReportContact", "ROLES", "User",
]
