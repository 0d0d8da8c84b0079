"""How many SQL statements and transactions the JSON claim and decide routes cost.

Counted with a SQLAlchemy event listener around real requests (the login and the queues
page are not counted). Not a timing test: a count is deterministic, and a regression here
(a case reloaded three times, a policy lookup per rule) is what made "next case" slow with
50 moderators (bench/claims.py). Set WORKBENCH_PRINT_STATEMENTS=1 and run with -s to see them.

Before the one-statement claim: claim 11 statements / 2 transactions, decide 13 / 2 (PostgreSQL).
"""

from __future__ import annotations

import contextlib
import os

from sqlalchemy import event

from tests.support.accounts import text_of
from tests.support.auth import csrf_token_from
from tests.workbench.review.helpers import make_case
from workbench.extensions import db

RULE = "GLOBAL@1:global.reports.user-volume"


@contextlib.contextmanager
def counting(app):
    """The statements run on the app's engine (BEGIN excluded) and the transactions begun."""
    seen = {"sql": [], "begins": 0}
    with app.app_context():
        engine = db.engine

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("BEGIN"):
            seen["sql"].append(" ".join(statement.split()))

    def on_begin(conn):
        seen["begins"] += 1

    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "begin", on_begin)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
        event.remove(engine, "begin", on_begin)


def _report(label, seen):
    if os.environ.get("WORKBENCH_PRINT_STATEMENTS"):
        print(
            f"\n{label}: {len(seen['sql'])} statements, {seen['begins']} transaction(s)\n  "
            + "\n  ".join(sql[:160] for sql in seen["sql"])
        )


def test_claim_and_decide_stay_within_their_statement_budget(app, client, auth, backend):
    for n in range(5):
        make_case(app, priority=("critical", "high", "normal")[n % 3], author=f"budget-{n}")
    auth.login("moderator", "mia")
    headers = {"X-CSRFToken": csrf_token_from(text_of(client.get("/queues")))}
    for _ in range(3):  # the first round warms the per-process caches
        with counting(app) as claim:
            claimed = client.post("/review/api/next", json={}, headers=headers).get_json()["case"]
        with counting(app) as decide:
            response = client.post(
                f"/review/api/cases/{claimed['id']}/decide",
                headers=headers,
                json={
                    "rule": RULE,
                    "outcome": "no_action",
                    "internal_note": "n",
                    "user_explanation": "e",
                    "claim_token": claimed["claim_token"],
                },
            )
        assert response.status_code == 201, response.get_json()
        _report(f"{backend} claim", claim)
        _report(f"{backend} decide", decide)
    # Claim: the session's user, the live claim + exposure count, the claim, the audit seal (3).
    assert len(claim["sql"]) <= (6 if backend == "postgresql" else 7)
    assert claim["begins"] == 1
    case_writes = [sql for sql in claim["sql"] if sql.startswith("UPDATE cases")]
    assert len(case_writes) == 1
    if backend == "postgresql":  # one statement picks and takes the case
        assert "FOR UPDATE OF cases SKIP LOCKED" in case_writes[0] and "RETURNING" in case_writes[0]
    # Decide: the user, case + item, the decision, closing the case, the appeal guard, the
    # webhook's client, the audit seal (3); one transaction, no reload after the commit.
    assert len(decide["sql"]) <= 10
    assert decide["begins"] == 1
