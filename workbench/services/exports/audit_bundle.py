"""The audit bundle: events as JSONL, the signed checkpoints, the public key, and the
standalone verifier script, so an auditor can check the log without the workbench."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.audit import verifier
from workbench.audit.checkpoints import checkpoint_dict, iter_event_dicts
from workbench.audit.keys import public_key_pem
from workbench.models.audit import AuditCheckpoint, AuditEvent

PROGRESS_EVERY = 5000
# json.dumps(event, ensure_ascii=False, separators=(",", ":")) without building an encoder per event.
_event_line = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

README = """Workbench audit bundle

events.jsonl       every audit event in chain order, with prev_hash and event_hash
checkpoints.jsonl  signed RFC 6962 tree heads (Ed25519) over the first tree_size events
public_key.pem     the checkpoint signing key's public half
verifier.py        python3 verifier.py .   (needs only the `cryptography` package;
                   --processes N to choose how many cores it uses)
"""


def export_audit_bundle(session: Session, signing_key, out_dir: str | Path, *, progress=None) -> dict:
    """`progress(events written, events in the log)` is called every PROGRESS_EVERY events."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    total = (session.scalar(select(func.max(AuditEvent.id))) or 0) if progress else 0
    with open(out / "events.jsonl", "w", encoding="utf-8") as handle:
        for event in iter_event_dicts(session):
            handle.write(_event_line(event) + "\n")
            count += 1
            if progress and count % PROGRESS_EVERY == 0:
                progress(count, max(total, count))
    if progress:
        progress(count, count)
    checkpoints = [
        checkpoint_dict(c) for c in session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size))
    ]
    with open(out / "checkpoints.jsonl", "w", encoding="utf-8") as handle:
        for checkpoint in checkpoints:
            handle.write(json.dumps(checkpoint, separators=(",", ":")) + "\n")
    (out / "public_key.pem").write_bytes(public_key_pem(signing_key))
    shutil.copyfile(verifier.__file__, out / "verifier.py")
    (out / "README.txt").write_text(README)
    session.rollback()
    return {"events": count, "checkpoints": len(checkpoints), "path": str(out)}
