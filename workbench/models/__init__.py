"""All models, imported here so Alembic and `db.create_all` see every table."""

from workbench.models.api_client import ApiClient
from workbench.models.appeal import APPEAL_OUTCOMES, Appeal, AppealContact, AppealStatus, DecisionReversal
from workbench.models.audit import AuditEvent
from workbench.models.authority_report import AuthorityReport
from workbench.models.backtest import Backtest, BacktestStatus
from workbench.models.bank_media_upload import BankMediaUpload, MediaUploadStatus
from workbench.models.blob import Blob
from workbench.models.case import Case, CaseStatus
from workbench.models.decision import Decision
from workbench.models.export_run import ExportRun, ExportStatus
from workbench.models.frame_thumbnail import ItemFrameThumbnail
from workbench.models.hash_bank import (
    BANK_KINDS,
    BankChange,
    BankChangeOp,
    BankEntry,
    BankImport,
    BankImportError,
    HashBank,
    HashMatch,
    ImportStatus,
)
from workbench.models.hold import HOLD_ORIGINS, EvidenceHold
from workbench.models.item import ITEM_KINDS, STAGE_ORDER, Item, ItemHash, ItemStatus
from workbench.models.media import BankVideoFrame, ItemVideoFrame, MediaMatchDetail, MusicTrack
from workbench.models.metric_sample import MetricSample
from workbench.models.policy import PolicyDraft, PolicyPack, PolicyVersion
from workbench.models.policy_evaluation import EvaluationPack, PolicyEvaluation, RuleHit
from workbench.models.privacy import ErasureRequest
from workbench.models.pseudonym import PseudonymRekey
from workbench.models.qa import QA_VERDICTS, QaSample, QaStatus
from workbench.models.report import REPORT_SOURCES, Report, ReportContact
from workbench.models.signal import ItemSignal
from workbench.models.user import ROLES, User
from workbench.models.webhook import DeliveryStatus, WebhookAttempt, WebhookDelivery
from workbench.models.wellness import CONTENT_CLASSES, ExposureEvent, WellnessPreference

__all__ = [
    "APPEAL_OUTCOMES",
    "BANK_KINDS",
    "CONTENT_CLASSES",
    "HOLD_ORIGINS",
    "ITEM_KINDS",
    "QA_VERDICTS",
    "REPORT_SOURCES",
    "ROLES",
    "STAGE_ORDER",
    "ApiClient",
    "Appeal",
    "AppealContact",
    "AppealStatus",
    "AuditEvent",
    "AuthorityReport",
    "Backtest",
    "BacktestStatus",
    "BankChange",
    "BankChangeOp",
    "BankEntry",
    "BankImport",
    "BankImportError",
    "BankMediaUpload",
    "BankVideoFrame",
    "Blob",
    "Case",
    "CaseStatus",
    "Decision",
    "DecisionReversal",
    "DeliveryStatus",
    "ErasureRequest",
    "EvaluationPack",
    "EvidenceHold",
    "ExportRun",
    "ExportStatus",
    "ExposureEvent",
    "HashBank",
    "HashMatch",
    "ImportStatus",
    "Item",
    "ItemFrameThumbnail",
    "ItemHash",
    "ItemSignal",
    "ItemStatus",
    "ItemVideoFrame",
    "MediaMatchDetail",
    "MediaUploadStatus",
    "MetricSample",
    "MusicTrack",
    "PolicyDraft",
    "PolicyEvaluation",
    "PolicyPack",
    "PolicyVersion",
    "PseudonymRekey",
    "QaSample",
    "QaStatus",
    "Report",
    "ReportContact",
    "RuleHit",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WellnessPreference",
]
