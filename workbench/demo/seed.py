"""Demo data for `make run`: users, an API client, items pushed through the real API.

Idempotent: credentials are kept in the instance folder (mode 0600) and printed on
every run; items have fixed external ids, so a second run finds them (HTTP 200).
"""

from __future__ import annotations

import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import requests
from flask import current_app
from PIL import Image, ImageDraw

from workbench.audit import Actor
from workbench.demo.banks import ensure_demo_bank
from workbench.demo.media import ensure_demo_music, push_demo_video
from workbench.demo.policies import push_demo_reports, seed_policies
from workbench.extensions import db
from workbench.models import ROLES, ItemStatus
from workbench.services.accounts import users
from workbench.services.platforms import clients as api_clients
from workbench.settings import current as current_settings

DEMO_ACTOR = Actor.system("demo-seed")
DEMO_CLIENT = "demo-platform"
DEMO_SCOPES = ("items", "reports")  # what the demo sends; its bank is made through the service layer

DEMO_TEXTS = [
    ("demo-text-1", "DE", "Tolles Video, danke fürs Teilen!", "de"),
    ("demo-text-2", "FR", "Quelle belle journée à Lyon aujourd'hui.", None),
    ("demo-text-3", "GB", "You are a worthless idiot and everyone hates you.", "en"),
    ("demo-text-4", "IN", "Buy followers now!!! Cheap likes at spam-example dot com", None),
    ("demo-text-5", "US", "I will find where you live and hurt you.", "en"),
    ("demo-text-6", "AU", "Great surf at Bondi this morning.", "en"),
]


def _demo_images() -> list[tuple[str, str, str, bytes]]:
    """Small generated pictures in the formats and modes the pipeline must handle."""
    images = []
    gradient = Image.linear_gradient("L").resize((320, 240)).convert("RGB")
    draw = ImageDraw.Draw(gradient)
    draw.ellipse((100, 60, 220, 180), fill=(200, 40, 40))
    images.append(("demo-image-1", "DE", "image/jpeg", _encode(gradient, "JPEG")))
    rgba = Image.new("RGBA", (200, 200), (0, 0, 0, 0))
    ImageDraw.Draw(rgba).rectangle((40, 40, 160, 160), fill=(20, 120, 220, 180))
    images.append(("demo-image-2", "FR", "image/png", _encode(rgba, "PNG")))
    frames = [Image.new("P", (120, 120), color) for color in (10, 80, 160)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    images.append(("demo-image-3", "US", "image/gif", buffer.getvalue()))
    images.append(("demo-image-4", "IN", "image/webp", _encode(gradient.rotate(90), "WEBP")))
    return images


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def _secret_file(name: str) -> Path:
    return Path(current_app.instance_path) / name


def _write_private(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def ensure_demo_client() -> str:
    key_file = _secret_file("demo_api_key")
    client = api_clients.find_client(db.session, DEMO_CLIENT)
    if client is not None:  # a key from an earlier run keeps only what the demo needs
        api_clients.set_scopes(db.session, client, DEMO_SCOPES, DEMO_ACTOR)
    if key_file.exists():
        key = key_file.read_text().strip()
        if api_clients.authenticate(db.session, key) is not None:
            return key
    issued = (
        api_clients.rotate_key(db.session, client, DEMO_ACTOR)
        if client
        else api_clients.create_client(db.session, DEMO_CLIENT, DEMO_ACTOR, DEMO_SCOPES)
    )
    _write_private(key_file, issued.key + "\n")
    return issued.key


def ensure_demo_users() -> dict[str, str]:
    cred_file = _secret_file("demo_credentials.json")
    credentials = json.loads(cred_file.read_text()) if cred_file.exists() else {}
    for role in ROLES:
        user = users.find_user(db.session, role)
        if user is None:
            credentials[role] = users.generate_password()
            # Demo accounts see every case: GLOBAL jurisdiction, any language.
            users.create_user(
                db.session,
                role,
                role,
                credentials[role],
                DEMO_ACTOR,
                settings=current_settings(),
                jurisdictions=["GLOBAL"],
                languages=["*"],
            )
        elif role not in credentials:
            credentials[role] = "(set before this run; reset with `flask users` tools)"
    _write_private(cred_file, json.dumps(credentials, indent=2))
    return credentials


def push_demo_items(base_url: str, key: str) -> list[str]:
    headers = {"Authorization": f"Bearer {key}"}
    urls = []
    with requests.Session() as http:
        for external_id, country, text, language in DEMO_TEXTS:
            body = {
                "external_id": external_id,
                "author_id": f"demo-user-{external_id[-1]}",
                "country": country,
                "text": text,
            }
            if language:
                body["language"] = language
            response = http.post(f"{base_url}/api/v1/items", json=body, headers=headers, timeout=30)
            response.raise_for_status()
            urls.append(response.json()["url"])
        for external_id, country, mime, data in _demo_images():
            fields = {"external_id": external_id, "author_id": "demo-user-images", "country": country}
            files = {"image": (external_id, data, mime)}
            response = http.post(f"{base_url}/api/v1/items", data=fields, files=files, headers=headers, timeout=30)
            response.raise_for_status()
            urls.append(response.json()["url"])
    return urls


def wait_until_final(base_url: str, key: str, urls: list[str], timeout_s: float = 240) -> dict[str, int]:
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.monotonic() + timeout_s
    statuses: dict[str, str] = {}
    while time.monotonic() < deadline:
        statuses = {url: requests.get(base_url + url, headers=headers, timeout=30).json()["status"] for url in urls}
        if all(status in ItemStatus.FINAL for status in statuses.values()):
            break
        time.sleep(0.5)
    summary: dict[str, int] = {}
    for status in statuses.values():
        summary[status] = summary.get(status, 0) + 1
    return summary


def seed(base_url: str, *, wait: bool = True, echo: Callable[[str], None] = print) -> dict:
    key = ensure_demo_client()
    credentials = ensure_demo_users()
    echo(f"policy packs: {seed_policies()} default pack(s) published")
    ensure_demo_bank(_demo_images())  # before the items, so demo-image-4 matches it
    skipped = ensure_demo_music()  # a music bank with one reference track, before the video that plays it
    if skipped:
        echo(f"warning: {skipped}")
    # No transaction of ours may stay open while the web server writes (SQLite: one writer at a time).
    db.session.remove()
    urls = push_demo_items(base_url, key) + [push_demo_video(base_url, key)]
    summary = wait_until_final(base_url, key, urls) if wait else {}
    echo(f"demo notices: {push_demo_reports(base_url, key)} sent (items are evaluated again)")
    echo(f"demo items: {len(urls)} pushed through the API; statuses: {summary}")
    echo(f"demo API key ({DEMO_CLIENT}): {key}")
    for role, password in credentials.items():
        echo(f"  login {role:<17} password {password}")
    return {"key": key, "credentials": credentials, "summary": summary}
