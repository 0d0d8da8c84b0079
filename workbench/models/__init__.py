"""All models, imported here so Alembic and `db.create_all` see every table."""
from workbench.models.api_client import ApiClient
from workbench.models.audit import AuditEvent
from workbench.models.blob import Blob
from workbench.models.hash_bank import (
    BANK_KINDS, BankChange, BankChangeOp, BankEntry, BankImport, BankImportError, HashBank, HashMatch, ImportStatus,
)
from workbench.models.item import ITEM_KINDS, Item, ItemHash, ItemStatus
from workbench.models.privacy import ErasureRequest
from workbench.models.report import REPORT_SOURCES, Report, ReportContact
from workbench.models.signal import ItemSignal
from workbench.models.user import ROLES, User
from workbench.models.wellness import CONTENT_CLASSES, ExposureEvent, WellnessPreference
from workbench.models.webhook import DeliveryStatus, WebhookAttempt, WebhookDelivery
from workbench.models.backtest import Backtest, BacktestStatus
from workbench.models.case import Case, CaseStatus
from workbench.models.decision import Decision
from workbench.models.policy import PolicyDraft, PolicyPack, PolicyVersion
from workbench.models.policy_evaluation import EvaluationPack, PolicyEvaluation, RuleHit

__all__ = [
    "ApiClient", "AuditEvent", "DeliveryStatus", "ErasureRequest", "WebhookAttempt", "WebhookDelivery", "BANK_KINDS", "BankChange", "BankChangeOp", "BankEntry", "BankImport",
    "BankImportError", "Blob", "HashBank", "HashMatch", "ITEM_KINDS",
    "ImportStatus", "Item", "ItemHash", "ItemSignal", "ItemStatus", "REPORT_SOURCES", "Report", "ReportContact", "ROLES", "User",
]
__all__ += ["Backtest", "BacktestStatus", "Case", "CaseStatus", "Decision", "EvaluationPack", "PolicyDraft",
            "PolicyEvaluation", "PolicyPack", "PolicyVersion", "RuleHit"]
__all__ += ["CONTENT_CLASSES", "ExposureEvent", "WellnessPreference"]
from workbench.models.appeal import APPEAL_OUTCOMES, Appeal, AppealContact, AppealStatus, DecisionReversal  # noqa: E402
from workbench.models.qa import QA_VERDICTS, QaSample, QaStatus  # noqa: E402
from workbench.models.media import BankVideoFrame, ItemVideoFrame, MediaMatchDetail, MusicTrack  # noqa: E402,F401
__all__ += ["APPEAL_OUTCOMES", "Appeal", "AppealContact", "AppealStatus", "DecisionReversal",
            "QA_VERDICTS", "QaSample", "QaStatus"]
from workbench.models.export_run import ExportRun, ExportStatus  # noqa: E402
__all__ += ["ExportRun", "ExportStatus"]
from workbench.models.metric_sample import MetricSample  # noqa: E402
__all__ += ["MetricSample"]
from workbench.models.bank_media_upload import BankMediaUpload, MediaUploadStatus  # noqa: E402
__all__ += ["BankMediaUpload", "MediaUploadStatus"]
from workbench.models.pseudonym import PseudonymRekey  # noqa: E402
__all__ += ["PseudonymRekey"]
from workbench.models.frame_thumbnail import ItemFrameThumbnail  # noqa: E402
__all__ += ["ItemFrameThumbnail"]
