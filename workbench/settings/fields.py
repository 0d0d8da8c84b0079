"""Every setting the workbench reads: name, type, default, unit and what it does, in one place.

`Settings` is built once per app (`Settings.from_env`, workbench/settings/__init__.py) and is
frozen. docs/configuration.md is generated from these declarations (`python -m workbench.settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workbench.settings import parse
from workbench.settings.spec import External, OldName, setting

MiB = 1024 * 1024

SERVER = "Server, storage and keys"
LIMITS = "Upload and request limits"
RATES = "API rate limits"
MEDIA = "Video and audio"
PIPELINE = "Pipeline, queues and the sweeper"
CLASSIFY = "Classifiers"
BANKS = "Hash banks"
WEBHOOKS = "Webhooks and outbound requests"
AUDIT = "Audit log"
RETENTION = "Retention, exports and the operations dashboard"
ACCOUNTS = "Accounts, sessions and sign-in"
REVIEW = "Review, appeals, QA and wellness"
AREAS = (SERVER, LIMITS, RATES, MEDIA, PIPELINE, CLASSIFY, BANKS, WEBHOOKS, AUDIT, RETENTION, ACCOUNTS, REVIEW)


@dataclass(frozen=True)
class Settings:
    # Server, storage and keys
    database_url: str = setting(
        "", SERVER, "SQLAlchemy URL of the database; PostgreSQL in production", env="DATABASE_URL", kind="url",
        default_doc="SQLite file `workbench.db` in the instance folder",
    )  # fmt: skip
    redis_url: str = setting(
        "", SERVER, "Redis URL; unset, the workbench runs its own embedded Redis", env="REDIS_URL", kind="url"
    )
    secret_key: str = setting(
        "", SERVER, "Flask's session signing key", env="SECRET_KEY", kind="secret",
        default_doc="generated into `secret_key` in the instance folder",
    )  # fmt: skip
    pseudonym_key: str = setting(
        "", SERVER, "key of the per-platform pseudonyms of reporters and authors; back it up", kind="secret",
        default_doc="generated into `pseudonym.key` in the instance folder",
    )  # fmt: skip
    blob_dir: str = setting("", SERVER, "where uploaded content is stored", kind="path", instance_default="blobs")
    # Upload and request limits
    max_upload_bytes: int = setting(20 * MiB, LIMITS, "largest image upload", minimum=1)
    max_text_chars: int = setting(20_000, LIMITS, "longest text item", minimum=1)
    max_explanation_chars: int = setting(5_000, LIMITS, "longest explanation in a notice or an appeal", minimum=1)
    max_json_bytes: int = setting(MiB, LIMITS, "largest JSON API body (read whole before parsing)", minimum=1)
    max_image_pixels: int = setting(50_000_000, LIMITS, "most pixels of one image", minimum=1)
    max_image_frames: int = setting(500, LIMITS, "most frames of an animated image", minimum=1)
    max_animation_pixels: int = setting(
        200_000_000, LIMITS, "an animation's frames together, each at the full canvas (~100 full-HD frames)", minimum=1
    )
    # API rate limits (docs/api.md): one token bucket per API client and kind of request
    rate_limit_uploads_per_s: float = setting(
        50.0, RATES, "uploads: tokens a second per API client; 0: no limit", minimum=0
    )
    rate_limit_uploads_burst: int = setting(500, RATES, "uploads: the most tokens a client's bucket holds", minimum=1)
    rate_limit_reports_per_s: float = setting(
        20.0, RATES, "notices: tokens a second per API client; 0: no limit", minimum=0
    )
    rate_limit_reports_burst: int = setting(200, RATES, "notices: the most tokens a client's bucket holds", minimum=1)
    rate_limit_reads_per_s: float = setting(
        100.0, RATES, "reads: tokens a second per API client; 0: no limit", minimum=0
    )
    rate_limit_reads_burst: int = setting(500, RATES, "reads: the most tokens a client's bucket holds", minimum=1)
    rate_limit_writes_per_s: float = setting(
        10.0, RATES, "other writes: tokens a second per API client; 0: no limit", minimum=0
    )
    rate_limit_writes_burst: int = setting(
        100, RATES, "other writes: the most tokens a client's bucket holds", minimum=1
    )
    # Video and audio (docs/video.md)
    max_video_bytes: int = setting(100 * MiB, MEDIA, "largest video or reference-track upload", minimum=1)
    max_video_s: float = setting(
        180.0, MEDIA, "longest video", minimum=0.001, old=(OldName("WORKBENCH_MAX_VIDEO_SECONDS"),)
    )
    max_video_pixels: int = setting(1920 * 1920, MEDIA, "most pixels of one video frame", minimum=1)
    max_video_decoded_pixels: int = setting(
        24_000_000_000, MEDIA, "width x height x frames a worker may decode (3 min of 1080p60 is 22.4 G)", minimum=1
    )
    vpdq_frames_per_s: float = setting(1.0, MEDIA, "video frames hashed (vPDQ) per second of video", minimum=0.001)
    music_max_ber: float = setting(0.35, MEDIA, "audio fingerprint match: highest bit error rate", minimum=0, maximum=1)
    music_min_match_s: float = setting(5.0, MEDIA, "audio fingerprint match: shortest matching stretch", minimum=0)
    max_audio_s: float = setting(
        900.0, MEDIA, "audio decoded for a fingerprint; a longer soundtrack is fingerprinted up to this", minimum=0.001,
        old=(OldName("WORKBENCH_MAX_AUDIO_SECONDS"),),
    )  # fmt: skip
    max_audio_decoded_bytes: int = setting(512 * MiB, MEDIA, "decoded PCM a fingerprint may use", minimum=1)
    max_track_s: float = setting(
        900.0, MEDIA, "longest reference track added to a hash bank", minimum=0.001,
        old=(OldName("WORKBENCH_MAX_TRACK_SECONDS"),),
    )  # fmt: skip
    # Pipeline, queues and the sweeper
    pipeline_queue: str = setting("pipeline", PIPELINE, "RQ queue of the pipeline jobs")
    job_retries: int = setting(3, PIPELINE, "retries of a failed pipeline job", minimum=0)
    retry_intervals_s: tuple[int, ...] = setting(
        (5, 30, 120), PIPELINE, "waits before each retry (comma-separated; the last repeats)", minimum=0,
        old=(OldName("WORKBENCH_RETRY_INTERVALS"),),
    )  # fmt: skip
    job_timeout_s: int = setting(300, PIPELINE, "a pipeline job running longer is killed", minimum=1)
    stuck_after_s: float = setting(
        360.0, PIPELINE, "an item untouched this long is presumed lost; keep it above the job timeout", minimum=1
    )
    lost_after_s: float = setting(60.0, PIPELINE, "an item whose job Redis no longer has waits this long", minimum=0)
    sweep_interval_s: float = setting(30.0, PIPELINE, "pause between the sweeper's rounds", minimum=0.01)
    provider_jurisdictions: tuple[str, ...] = setting(
        (), PIPELINE, "countries where the operator is established (comma-separated ISO codes, e.g. US): their packs "
        "apply to every item (18 U.S.C. 2258A binds a US provider whoever uploaded)", kind="countries",
    )  # fmt: skip
    # Classifiers (docs/classifiers.md)
    classifiers: tuple[str, ...] = setting(
        ("text", "nudenet", "langid"), CLASSIFY, "the active classifiers (comma-separated; empty turns the stage off)",
        kind="names", empty_is_value=True,
    )  # fmt: skip
    detoxify_model: str = setting(
        "original", CLASSIFY, "Detoxify model", choices=("original", "unbiased", "multilingual")
    )
    detoxify_checkpoint: str = setting("", CLASSIFY, "local Detoxify checkpoint file", kind="path")
    detoxify_hf_dir: str = setting("", CLASSIFY, "folder of the checkpoint's Hugging Face config", kind="path")
    detoxify_online: bool = setting(False, CLASSIFY, "download Detoxify's released weights when no checkpoint is set")
    detoxify_device: str = setting("cpu", CLASSIFY, "torch device of Detoxify")
    detoxify_trust_checkpoint: bool = setting(False, CLASSIFY, "load a checkpoint whose checksum is not a known one")
    detoxify_batch_size: int = setting(32, CLASSIFY, "most texts in one Detoxify forward pass", minimum=1)
    detoxify_multilingual_checkpoint: str = setting(
        "", CLASSIFY, "multilingual checkpoint: scores non-English text when set", kind="path"
    )
    detoxify_multilingual_hf_dir: str = setting("", CLASSIFY, "its Hugging Face config folder", kind="path")
    detoxify_threads: int = setting(0, CLASSIFY, "torch threads; 0 uses the cores available", minimum=0)
    nudenet_model_path: str = setting("", CLASSIFY, "NudeNet ONNX model; empty uses the bundled one", kind="path")
    nudenet_max_frames: int = setting(8, CLASSIFY, "video frames NudeNet looks at", minimum=1)
    nudenet_batch_size: int = setting(8, CLASSIFY, "images in one NudeNet batch", minimum=1)
    langid_min_confidence: float = setting(
        0.0, CLASSIFY, "language id below this confidence says 'unknown'", minimum=0, maximum=1
    )
    classify_batch_size: int = setting(32, CLASSIFY, "most items the classify worker scores at once", minimum=1)
    classify_batch_wait_ms: int = setting(50, CLASSIFY, "how long a batch waits to fill", minimum=0)
    classify_worker_ttl_s: int = setting(
        30, CLASSIFY, "a classify worker silent this long is presumed dead; its items are queued again", minimum=3
    )
    # Hash banks (docs/hash-banks.md)
    bank_feed_poll_s: float = setting(0.5, BANKS, "how stale a worker's bank matcher may be", minimum=0)
    import_queue: str = setting("imports", BANKS, "RQ queue of hash-list imports and bank media uploads")
    backtest_queue: str = setting("backtests", BANKS, "RQ queue of policy backtests (listened to last)")
    import_dir: str = setting("", BANKS, "where uploaded hash lists wait", kind="path", instance_default="imports")
    max_import_bytes: int = setting(512 * MiB, BANKS, "largest hash-list upload", minimum=1)
    import_chunk_lines: int = setting(5000, BANKS, "lines an import commits at a time", minimum=1)
    import_job_timeout_s: int = setting(6 * 3600, BANKS, "an import running longer is killed", minimum=1)
    # Webhooks and outbound requests (docs/webhooks.md)
    webhook_queue: str = setting("webhooks", WEBHOOKS, "RQ queue of webhook deliveries")
    webhook_max_attempts: int = setting(8, WEBHOOKS, "delivery attempts before a webhook is given up", minimum=1)
    webhook_backoff_s: float = setting(5.0, WEBHOOKS, "first retry wait; doubles, capped at an hour", minimum=0)
    webhook_timeout_s: float = setting(5.0, WEBHOOKS, "timeout of one delivery", minimum=0.01)
    outbound_allow_cidrs: tuple[str, ...] = setting(
        (), WEBHOOKS, "private networks webhooks may reach too (comma-separated CIDRs)", kind="cidrs"
    )
    # Audit log (docs/audit-format.md)
    audit_signing_key: str = setting(
        "", AUDIT, "private key that signs checkpoints (only the signer reads it)", kind="path",
        instance_default="audit_signing_key.pem",
    )  # fmt: skip
    audit_public_key: str = setting(
        "", AUDIT, "its public half, all web processes read", kind="path",
        default_doc="next to the signing key, `.pem` -> `.pub.pem`",
    )  # fmt: skip
    checkpoint_interval_s: float = setting(300.0, AUDIT, "how often the sweeper signs a checkpoint", minimum=1)
    metrics_token: str = setting("", AUDIT, "bearer token for /metrics; empty: loopback only", kind="secret")
    # Retention, exports and the operations dashboard
    retention_days: int = setting(90, RETENTION, "days content is kept after the item's last decision", minimum=0)
    retention_interval_s: float = setting(
        3600.0, RETENTION, "how often the sweeper runs retention and export expiry", minimum=1,
        old=(OldName("WORKBENCH_RETENTION_INTERVAL_SECONDS"),),
    )  # fmt: skip
    retention_batch: int = setting(500, RETENTION, "items one retention round handles", minimum=1)
    export_queue: str = setting("exports", RETENTION, "RQ queue of auditor exports")
    export_dir: str = setting("", RETENTION, "where finished exports are kept", kind="path", instance_default="exports")
    export_keep_days: float = setting(7.0, RETENTION, "finished export files are deleted this long after", minimum=0)
    metric_sample_interval_s: float = setting(60.0, RETENTION, "dashboard: how often metrics are sampled", minimum=1)
    metric_retention_days: float = setting(14.0, RETENTION, "dashboard: how long samples are kept", minimum=0)
    # Accounts, sessions and sign-in (docs/accounts.md)
    secure_cookies: bool = setting(False, ACCOUNTS, "send cookies over HTTPS only (set it in production)")
    session_idle_s: int = setting(
        3600, ACCOUNTS, "a session idle this long ends", minimum=60,
        old=(OldName("WORKBENCH_SESSION_IDLE_MINUTES", scale=60, unit="minutes"),),
    )  # fmt: skip
    session_max_hours: float = setting(12.0, ACCOUNTS, "a session ends this long after sign-in", minimum=0.01)
    password_min_length: int = setting(12, ACCOUNTS, "shortest password", minimum=8)
    password_hash_method: str = setting("scrypt", ACCOUNTS, "werkzeug password hash method")
    login_max_failures: int = setting(5, ACCOUNTS, "failed sign-ins in a row before the backoff starts", minimum=1)
    login_max_failures_per_client: int = setting(
        20, ACCOUNTS, "failed sign-ins per client address within the window", minimum=1
    )
    login_window_s: int = setting(900, ACCOUNTS, "the window of the per-client count", minimum=1)
    login_backoff_base_s: float = setting(15.0, ACCOUNTS, "first wait after too many failures; doubles", minimum=0)
    login_backoff_max_s: float = setting(900.0, ACCOUNTS, "longest wait between sign-in attempts", minimum=0)
    trusted_proxy_hops: int = setting(0, ACCOUNTS, "reverse proxies whose X-Forwarded-For is trusted", minimum=0)
    totp_issuer: str = setting("Moderation workbench", ACCOUNTS, "issuer name shown in authenticator apps")
    totp_key_file: str = setting(
        "", ACCOUNTS, "key that encrypts second-factor secrets; back it up", kind="path", instance_default="totp.key"
    )
    # Review, appeals, QA and wellness
    lease_s: int = setting(300, REVIEW, "a claimed case's lease", minimum=1)
    hold_max_s: int = setting(24 * 3600, REVIEW, "longest a moderator may hold a case", minimum=1)
    near_deadline_s: int = setting(3600, REVIEW, "cases due within this are marked near their deadline", minimum=0)
    review_policy_cache_s: float = setting(2.0, REVIEW, "how long the review pages cache the packs in force", minimum=0)
    exposure_budget: int = setting(100, REVIEW, "graphic items a moderator sees per UTC day", minimum=0)
    appeals_queue: str = setting("appeals", REVIEW, "review queue of appeals")
    appeal_priority: str = setting(
        "high", REVIEW, "priority of appeal cases", choices=("critical", "high", "normal", "low")
    )
    appeal_deadline_hours: int = setting(72, REVIEW, "deadline of an appeal case", minimum=1)
    appeal_window_days: int = setting(183, REVIEW, "how long after a decision it may be appealed", minimum=1)
    qa_sample_rate: float = setting(0.05, REVIEW, "share of decisions sampled for QA", minimum=0, maximum=1)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str], instance_path: str, overrides: Mapping[str, Any] | None = None
    ) -> Settings:
        """Read every setting; `overrides` (by variable name) win over `environ`. Raises SettingsError."""
        return parse.build(cls, environ, instance_path, overrides)

    def with_values(self, by_name: Mapping[str, Any]) -> Settings:
        """A copy with some settings changed, given by variable name and validated like the environment."""
        return parse.replace(self, by_name)


EXTERNAL = (
    External("WORKBENCH_INSTANCE_PATH", SERVER, "the instance folder (keys, SQLite, blobs)", "`instance/`"),
    External("WORKBENCH_PORT", SERVER, "port of `make run`'s web server", "5000"),
    External("WORKBENCH_FAULT_PAUSE_STAGE", PIPELINE, "tests only: the stage a worker pauses in"),
    External("WORKBENCH_FAULT_PAUSE_AT", PIPELINE, "tests only: where in the stage it pauses", "before_commit"),
    External("WORKBENCH_FAULT_PAUSE_DIR", PIPELINE, "tests only: folder of the pause marker files"),
)
