"""`flask banks add-video|add-track|export-vpdq`: video and music entries of hash banks."""
from __future__ import annotations

from pathlib import Path

import click
from flask import current_app

from workbench.banks_cli import CLI_ACTOR, _bank, banks_cli
from workbench.extensions import db
from workbench.services.hash_banks import media_entries
from workbench.services.validation import ValidationFailed
from workbench.services.video_validation import audio_caps


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
        frames = (media_entries.video_frames_from_text(Path(file).read_text()) if is_vpdq else
                  media_entries.video_frames_from_upload(Path(file).read_bytes(),
                                                         current_app.config["WORKBENCH_VPDQ_FRAMES_PER_S"]))
        entry = media_entries.add_video_entry(db.session, target, CLI_ACTOR, frames=frames, note=note,
                                              source=Path(file).name)
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
        entry = media_entries.add_music_entry(db.session, target, CLI_ACTOR, data=Path(file).read_bytes(),
                                              title=title, rights_holder=rights_holder, territories=territories,
                                              source=Path(file).name, caps=audio_caps(current_app.config))
    except ValidationFailed as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from exc
    _commit_or_fail(entry, f"track {title!r}")


@banks_cli.command("export-vpdq")
@click.argument("entry_id", type=int)
def export_vpdq_command(entry_id: int) -> None:
    """Print a video entry's frames as vPDQ text."""
    from classifiers.video.vpdq import to_text
    frames = media_entries.entry_frames(db.session, entry_id)
    if not frames:
        raise click.ClickException(f"entry {entry_id} is not a video entry")
    click.echo(to_text(frames), nl=False)
