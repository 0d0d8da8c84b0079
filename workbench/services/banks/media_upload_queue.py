"""Videos and reference tracks uploaded on the bank pages are hashed by a worker.

The request does what costs about the file's size and no more: the checks of media_uploads
(the container probed, never decoded; the fields), then it keeps the file in the import file
store and commits a BankMediaUpload row with its audit event; the caller enqueues the job after
the commit. The job decodes (vPDQ frames; the Chromaprint fingerprint under the audio caps),
adds the entry through media_entries as the CLI does, records the outcome on the row and
deletes the file. Running it twice is harmless: a finished row is left alone, and an entry the
bank already holds is not added again.
"""

from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import BankEntry, BankMediaUpload, HashBank, MediaUploadStatus
from workbench.models.base import utcnow
from workbench.services.banks import media_entries, media_uploads
from workbench.services.banks.import_files import ImportFileMissing, ImportFileStore
from workbench.services.intake.videos import audio_caps, check_video
from workbench.services.operations import capabilities
from workbench.services.validation import ValidationFailed
from workbench.settings import Settings

MAX_ERROR_CHARS = 500


def media_store(settings: Settings) -> ImportFileStore:
    """Where uploads wait for their job: shared by the web and worker hosts, like hash-list imports."""
    return ImportFileStore(Path(settings.import_dir) / "media")


def queue_video_upload(
    session: Session, bank: HashBank, actor: Actor, data: bytes, settings: Settings, *, note: str = "", source: str = ""
) -> BankMediaUpload:
    media_uploads.check_video_bank(bank)
    check_video(data, settings)  # sniffed, size/length/picture limits: the container only
    return _queue(session, bank, actor, "video", data, settings, note=note, source=source)


def queue_track_upload(
    session: Session,
    bank: HashBank,
    actor: Actor,
    data: bytes,
    settings: Settings,
    *,
    title: str,
    rights_holder: str,
    territories: str,
    note: str = "",
    source: str = "",
) -> BankMediaUpload:
    licensed = media_uploads.check_track_fields(bank, title, rights_holder, territories)
    if not capabilities.is_available("music_fingerprinting"):
        raise ValidationFailed(
            "fingerprinting_unavailable",
            "reference tracks cannot be fingerprinted on this host: "
            + capabilities.by_name("music_fingerprinting").missing_reason,
            "track",
            503,
        )
    media_uploads.check_track(data, settings)
    return _queue(
        session,
        bank,
        actor,
        "track",
        data,
        settings,
        note=note,
        source=source,
        title=title.strip(),
        rights_holder=rights_holder.strip(),
        territories=licensed,
    )


def _queue(
    session: Session, bank: HashBank, actor: Actor, kind: str, data: bytes, settings: Settings, **fields: str
) -> BankMediaUpload:
    stored = media_store(settings).save(io.BytesIO(data), max_bytes=len(data))
    upload = BankMediaUpload(
        bank_id=bank.id,
        kind=kind,
        file_sha256=stored.sha256,
        file_size=stored.size,
        status=MediaUploadStatus.QUEUED,
        actor_type=actor.type,
        actor_id=str(actor.id),
        note=fields.get("note", "")[:2000],
        source=fields.get("source", "")[:255],
        title=fields.get("title", "")[:255],
        rights_holder=fields.get("rights_holder", "")[:255],
        territories=fields.get("territories", ""),
    )
    session.add(upload)
    session.flush()
    audit.record(
        session,
        actor,
        "bank.media_upload_queued",
        "hash_bank",
        bank.id,
        upload_id=upload.id,
        kind=kind,
        file_sha256=stored.sha256,
        size=stored.size,
    )
    session.commit()
    return upload


def run_media_upload(session: Session, upload_id: int, settings: Settings) -> BankMediaUpload:
    """The job's work: decode, add the entry, record the outcome, delete the file."""
    upload = session.get(BankMediaUpload, upload_id)
    if upload is None:
        raise LookupError(f"no media upload {upload_id}")
    if upload.is_final:
        session.rollback()
        return upload
    bank = session.get(HashBank, upload.bank_id)
    store = media_store(settings)
    try:
        with store.open(upload.file_sha256) as handle:
            data = handle.read()
    except ImportFileMissing:
        return _finish(session, upload, MediaUploadStatus.FAILED, None, "the uploaded file is gone: upload it again")
    actor = Actor(upload.actor_type, upload.actor_id)
    try:
        if upload.kind == "video":
            frames = media_entries.video_frames_from_upload(data, settings.vpdq_frames_per_s)
            entry = media_entries.add_video_entry(
                session, bank, actor, frames=frames, note=upload.note, source=upload.source
            )
        else:
            entry = media_entries.add_music_entry(
                session,
                bank,
                actor,
                data=data,
                title=upload.title,
                rights_holder=upload.rights_holder,
                territories=upload.territories,
                note=upload.note,
                source=upload.source,
                caps=audio_caps(settings),
            )
    except ValidationFailed as exc:  # the decode found what the probe could not: nothing was added
        session.rollback()
        upload = session.get(BankMediaUpload, upload_id)
        return _finish(session, upload, MediaUploadStatus.FAILED, None, exc.message, store)
    return _finish(session, upload, MediaUploadStatus.DONE, entry, None, store)


def _finish(
    session: Session,
    upload: BankMediaUpload,
    status: str,
    entry: BankEntry | None,
    error: str | None,
    store: ImportFileStore | None = None,
) -> BankMediaUpload:
    upload.status = status
    upload.entry_id = entry.id if entry is not None else None
    upload.error = error[:MAX_ERROR_CHARS] if error else None
    upload.finished_at = utcnow()
    audit.record(
        session,
        Actor.system("bank-media"),
        f"bank.media_upload_{status}",
        "hash_bank",
        upload.bank_id,
        upload_id=upload.id,
        kind=upload.kind,
        entry_id=upload.entry_id,
        error=upload.error,
    )
    session.commit()
    if store is not None:
        _delete_unless_waiting(session, store, upload.file_sha256)
    return upload


def _delete_unless_waiting(session: Session, store: ImportFileStore, sha256: str) -> None:
    """The file goes once no other upload of the same bytes still needs it."""
    waiting = session.scalar(
        select(BankMediaUpload.id).where(
            BankMediaUpload.file_sha256 == sha256, BankMediaUpload.status == MediaUploadStatus.QUEUED
        )
    )
    session.rollback()
    if waiting is None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(store.path_for(sha256))


def mark_failed(session: Session, upload_id: int, error: str, settings: Settings) -> None:
    """After the job's last attempt raised: the row says so instead of waiting for ever."""
    upload = session.get(BankMediaUpload, upload_id)
    if upload is None or upload.is_final:
        session.rollback()
        return
    _finish(session, upload, MediaUploadStatus.FAILED, None, error, media_store(settings))


def recent_uploads(session: Session, bank: HashBank, limit: int = 20) -> list[BankMediaUpload]:
    return list(
        session.scalars(
            select(BankMediaUpload)
            .where(BankMediaUpload.bank_id == bank.id)
            .order_by(BankMediaUpload.id.desc())
            .limit(limit)
        )
    )
