"""Headers for a case's media: moderators' eyes only, never cached, never sniffed, never run."""

from __future__ import annotations


def private_media(response, case_id: int, disposition: str = "inline"):
    response.headers["Content-Disposition"] = f'{disposition}; filename="case-{case_id}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
