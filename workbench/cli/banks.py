"""flask banks …: list and create banks, import and export hash lists, video and music entries,
and which platforms see a bank (sharing)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from classifiers.hashing.formats import FORMATS
from classifiers.video.vpdq import to_text
from workbench.cli.common import CLI_ACTOR
from workbench.extensions import db
from workbench.jobs.bank_imports import import_store
from workbench.models import BANK_KINDS
from workbench.models.hash_bank import BANK_VISIBILITIES
from workbench.services.banks import media_entries
from workbench.services.banks.access import parse_sharing_fields
from workbench.services.banks.banks import create_bank, find_bank, list_banks, parse_bank_fields, update_bank
from workbench.services.banks.errors import BankNotFound
from workbench.services.banks.exports import export_bank
from workbench.services.banks.import_files import FileTooLarge
from workbench.services.banks.imports import create_import, import_errors, run_import
from workbench.services.intake.videos import audio_caps
from workbench.services.platforms.clients import find_client
from workbench.services.validation import ValidationFailed
from workbench.settings import current as current_settings

banks_cli = AppGroup("banks", help="Hash banks: list, create, import, export.")
ALGORITHMS = ("pdq", "phash", "dhash", "md5", "sha256")


def _bank(name_or_id: str):
    try:
        return find_bank(db.session, name_or_id)
    except BankNotFound as exc:
        raise click.ClickException(exc.message) from exc


@banks_cli.command("list")
def list_command() -> None:
    for summary in list_banks(db.session):
        bank = summary.bank
        click.echo(
            f"{bank.id:>4}  {bank.name:<30} {bank.kind:<10} {'enabled ' if bank.enabled else 'disabled'} "
            f"{summary.enabled_entries:>9,} / {summary.entries:,} entries  "
            f"pdq<={bank.pdq_threshold} phash<={bank.phash_threshold} dhash<={bank.dhash_threshold}"
        )


@banks_cli.command("create")
@click.argument("name")
@click.option("--kind", type=click.Choice(BANK_KINDS), required=True)
@click.option("--description", default="")
@click.option("--pdq-threshold", type=int)
@click.option("--phash-threshold", type=int)
@click.option("--dhash-threshold", type=int)
def create_command(name: str, kind: str, description: str, **thresholds) -> None:
    data = {
        "name": name,
        "kind": kind,
        "description": description,
        **{key: value for key, value in thresholds.items() if value is not None},
    }
    try:
        bank = create_bank(db.session, parse_bank_fields(data, partial=False), CLI_ACTOR)
    except ValidationFailed as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"bank {bank.id} '{bank.name}' ({bank.kind}) created")


@banks_cli.command("import")
@click.argument("bank")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--format", "fmt", type=click.Choice(("auto",) + FORMATS), default="auto", show_default=True)
@click.option(
    "--algorithm", type=click.Choice(ALGORITHMS), help="For plain files (and simple files not named simple.HASH_*.te)."
)
@click.option("--source", default="", help="Where the list comes from (default: the file name).")
@click.option("--show-errors", default=50, show_default=True, help="Bad lines to print (all are kept).")
def import_command(bank: str, file: str, fmt: str, algorithm: str | None, source: str, show_errors: int) -> None:
    """Import FILE into BANK here, in chunks (bad lines are listed with their numbers)."""
    import os

    target = _bank(bank)
    settings = current_settings()
    try:
        with click.open_file(file, "rb") if file == "-" else open(file, "rb") as handle:
            bank_import = create_import(
                db.session,
                target,
                handle,
                filename=os.path.basename(file) if file != "-" else "stdin",
                fmt=fmt,
                algorithm=algorithm,
                source=source,
                actor=CLI_ACTOR,
                store=import_store(current_app),
                max_bytes=max(settings.max_import_bytes, 1 << 40),
            )
    except (ValidationFailed, FileTooLarge) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from exc
    click.echo(f"import {bank_import.id}: {bank_import.total_lines:,} lines, format {bank_import.format}", err=True)

    def progress(state):
        click.echo(f"\r  {state.lines_done:,}/{state.total_lines:,} lines  {state.added:,} added", nl=False, err=True)

    result = run_import(
        db.session,
        bank_import.id,
        import_store(current_app),
        chunk_lines=settings.import_chunk_lines,
        progress=progress,
    )
    click.echo("", err=True)
    click.echo(
        f"import {result.id} {result.status}: {result.added:,} added, {result.duplicates_merged:,} duplicates "
        f"merged, {result.already_present:,} already in the bank, {result.error_count:,} bad lines"
    )
    if result.error_count:
        page = import_errors(db.session, result, limit=show_errors)
        for error in page.errors:
            click.echo(f"  line {error.line}: {error.reason}" + (f"  [{error.content}]" if error.content else ""))
        if result.error_count > len(page.errors):
            click.echo(
                f"  … {result.error_count - len(page.errors):,} more: GET /api/v1/banks/{target.id}/imports/"
                f"{result.id}/errors or the import page"
            )


@banks_cli.command("export")
@click.argument("bank")
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option(
    "--algorithm",
    type=click.Choice(ALGORITHMS),
    help="Only this algorithm (required when the format holds one and the bank has several).",
)
@click.option("--include-disabled", is_flag=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), help="Write here instead of standard output.")
def export_command(bank: str, fmt: str, algorithm: str | None, include_disabled: bool, out: str | None) -> None:
    target = _bank(bank)
    try:
        export = export_bank(db.session, target, fmt, CLI_ACTOR, algorithm=algorithm, include_disabled=include_disabled)
    except ValidationFailed as exc:
        raise click.ClickException(exc.message) from exc
    target_stream = (
        open(out, "w", encoding="utf-8", newline="") if out else contextlib.nullcontext(click.get_text_stream("stdout"))
    )
    with target_stream as handle:
        for chunk in export.chunks:
            handle.write(chunk)
    if out:
        click.echo(f"{export.count:,} entries written to {out} ({export.filename})", err=True)


def _commit_or_fail(entry, what: str) -> None:
    if entry is None:
        db.session.rollback()
        click.echo(f"{what} already in the bank")
        return
    db.session.commit()
    click.echo(f"added {what} as entry {entry.id}")


@banks_cli.command("add-video")
@click.argument("bank")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--vpdq", "is_vpdq", is_flag=True, help="FILE is vPDQ text (pdqhex,quality,timestamp lines).")
@click.option("--note", default="")
def add_video_command(bank: str, file: str, is_vpdq: bool, note: str) -> None:
    """Add a video (MP4/MOV/WebM, or its vPDQ text) to BANK."""
    target = _bank(bank)
    try:
        frames = (
            media_entries.video_frames_from_text(Path(file).read_text())
            if is_vpdq
            else media_entries.video_frames_from_upload(Path(file).read_bytes(), current_settings().vpdq_frames_per_s)
        )
        entry = media_entries.add_video_entry(
            db.session, target, CLI_ACTOR, frames=frames, note=note, source=Path(file).name
        )
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    _commit_or_fail(entry, f"video {Path(file).name} ({len(frames)} frames)")


@banks_cli.command("add-track")
@click.argument("bank")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--title", required=True)
@click.option("--rights-holder", required=True)
@click.option("--territories", default="", help="Where the track is licensed: ISO codes, e.g. 'DE FR US'.")
def add_track_command(bank: str, file: str, title: str, rights_holder: str, territories: str) -> None:
    """Fingerprint an audio or video FILE into the music BANK."""
    target = _bank(bank)
    try:
        entry = media_entries.add_music_entry(
            db.session,
            target,
            CLI_ACTOR,
            data=Path(file).read_bytes(),
            title=title,
            rights_holder=rights_holder,
            territories=territories,
            source=Path(file).name,
            caps=audio_caps(current_settings()),
        )
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    _commit_or_fail(entry, f"track {title!r}")


@banks_cli.command("export-vpdq")
@click.argument("entry_id", type=int)
def export_vpdq_command(entry_id: int) -> None:
    """Print a video entry's frames as vPDQ text."""
    frames = media_entries.entry_frames(db.session, entry_id)
    if not frames:
        raise click.ClickException(f"entry {entry_id} is not a video entry")
    click.echo(to_text(frames), nl=False)


@banks_cli.command("sharing")
@click.argument("bank")
@click.option("--visibility", type=click.Choice(BANK_VISIBILITIES), help="private (default) or shared-read.")
@click.option(
    "--owner",
    help="The API client (name) that owns the bank: it may change it over the API, "
    "and the bank matches only its items.",
)
@click.option("--staff", "staff_owned", is_flag=True, help="No owner: the bank matches every platform's items.")
def sharing_command(bank: str, visibility: str | None, owner: str | None, staff_owned: bool) -> None:
    """Show BANK's visibility and owner, or change them."""
    if owner and staff_owned:
        raise click.UsageError("pass --owner or --staff, not both")
    target = _bank(bank)
    data: dict = {}
    if visibility:
        data["visibility"] = visibility
    if staff_owned:
        data["owner_client_id"] = None
    elif owner:
        client = find_client(db.session, owner)
        if client is None:
            raise click.ClickException(f"no API client named {owner!r}")
        data["owner_client_id"] = client.id
    if data:
        try:
            update_bank(db.session, target, parse_sharing_fields(db.session, data), CLI_ACTOR)
        except ValidationFailed as exc:
            raise click.ClickException(exc.message) from exc
    owned_by = target.owner.name if target.owner is not None else "staff"
    click.echo(f"bank {target.id} '{target.name}': {target.visibility}, owned by {owned_by}")
