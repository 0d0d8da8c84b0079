"""A human decision's DSA statement of reasons follows whose law applies to the item (the case's
jurisdictions: its audience and the notices about it), not the uploader's country."""

from __future__ import annotations

import pytest

from tests.workbench.review.helpers import decision_kwargs, make_case, user
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Case
from workbench.services.review import claims
from workbench.services.review.decisions import decide_case


@pytest.mark.parametrize(
    "uploaded_in, jurisdictions, statement",
    [
        ("US", ["GLOBAL", "EU", "DE"], True),  # a US upload shown in Germany: the DSA applies
        ("DE", ["GLOBAL", "US"], False),  # a German upload shown only in the US: it does not
    ],
)
def test_the_statement_of_reasons_follows_the_applied_jurisdictions(app, uploaded_in, jurisdictions, statement):
    case_id = make_case(app, country=uploaded_in)
    with app.app_context():
        db.session.get(Case, case_id).jurisdictions = jurisdictions
        db.session.commit()
    alice = user(app, "alice")
    with app.app_context():
        claims.claim_next(db.session, alice, settings=workbench_settings.current())
        decision = decide_case(db.session, case_id, alice, **decision_kwargs(), settings=workbench_settings.current())
        assert (decision.statement_of_reasons is not None) is statement
        if statement:
            assert decision.statement_of_reasons["decision_facts"] == "Your post broke the rules on harassment."
