"""Demo data for the policy rules in `make run`: the default packs and a few notices.

The notices go through the real API with fixed external ids, so a second run resends
them harmlessly (HTTP 200) and the cases they open are not duplicated.
"""

from __future__ import annotations

import requests

from workbench.extensions import db
from workbench.services.policy.packs import ensure_default_packs

# (notice id, item external id, source, category, extra fields)
DEMO_REPORTS = [
    ("demo-notice-1", "demo-text-1", "user", "illegal_hate_speech", {}),
    (
        "demo-notice-2",
        "demo-image-1",
        "authority_order",
        "terrorism",
        {"authority": "Demo competent authority", "order_reference": "TCO-DEMO-1", "issuing_jurisdiction": "DE"},
    ),
    ("demo-notice-3", "demo-text-3", "user", "harassment", {}),
    ("demo-notice-4", "demo-text-3", "user", "harassment", {}),
    ("demo-notice-5", "demo-text-3", "trusted_flagger", "harassment", {}),
    (
        "demo-notice-6",
        "demo-image-4",
        "authority_order",
        "other",
        {
            "authority": "Demo ministry",
            "order_reference": "IT-RULES-DEMO-1",
            "issuing_jurisdiction": "IN",
            "authority_rank": "joint_secretary",
        },
    ),
]


def seed_policies() -> int:
    """Publishes the default packs as version 1 where needed; returns how many were published."""
    return len(ensure_default_packs(db.session))


def push_demo_reports(base_url: str, key: str) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    with requests.Session() as http:
        for notice_id, item_external_id, source, category, extra in DEMO_REPORTS:
            body = {
                "external_id": notice_id,
                "item_external_id": item_external_id,
                "source": source,
                "category": category,
                **extra,
            }
            http.post(f"{base_url}/api/v1/reports", json=body, headers=headers, timeout=30).raise_for_status()
    return len(DEMO_REPORTS)
