"""All models, imported here so Alembic and `db.create_all` see every table."""
from workbench.models.api_client import ApiClient
from workbench.models.audit import AuditEvent
from workbench.models.blob import Blob
from workbench.models.hash_bank import BANK_KINDS, BankEntry, HashBank, HashMatch
from workbench.models.item import ITEM_KINDS, Item, ItemHash, ItemStatus
from workbench.models.privacy import ErasureRequest
from workbench.models.report import REPORT_SOURCES, Report, ReportContact
from workbench.models.signal import ItemSignal
from workbench.models.user import ROLES, User
from workbench.models.webhook import DeliveryStatus, WebhookAttempt, WebhookDelivery

__all__ = [
    "ApiClient", "AuditEvent", "DeliveryStatus", "ErasureRequest", "WebhookAttempt", "WebhookDelivery", "BANK_KINDS", "BankEntry", "Blob", "HashBank", "HashMatch", "ITEM_KINDS",
    "Item", "ItemHash", "ItemSignal", "ItemStatus", "REPORT_SOURCES", "Report", "ReportContact", "ROLES", "User",
]
