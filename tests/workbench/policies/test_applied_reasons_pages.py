"""The reasons why each jurisdiction applied, on the pages that show them: the case page, the
test-on-an-item page and the item API. Authorities are free text a platform sends: escaped."""

from __future__ import annotations

from tests.support.accounts import text_of
from tests.support.factories import text_item
from tests.support.policies import report, rows
from workbench.models import Case

HOSTILE = '<script>alert("x")</script>'


def test_applied_jurisdictions_and_their_reasons_are_shown_escaped(app, api, auth, client, run_worker):
    item_id = api.post_json("/items", text_item("hostile-authority", country="DE", visible_in=["DE"])).get_json()["id"]
    run_worker()
    report(
        api,
        item_id,
        "authority_order",
        "terrorism",
        external_id="hostile-order",
        issuing_jurisdiction="DE",
        authority=HOSTILE,
    )
    run_worker()
    [case] = rows(app, Case, item_id=item_id)
    reason = f"notice issued in DE ({HOSTILE}), a member of EU"

    document = api.get(f"/items/{item_id}").get_json()
    applied = {a["jurisdiction"]: a["reasons"] for a in document["policy"]["evaluation"]["applied"]}
    assert applied["EU"] == ["visible in DE", reason]

    escaped = "notice issued in DE (&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;), a member of EU"
    auth.login("moderator", "mia")
    html = text_of(client.get(f"/cases/{case.id}"))
    assert HOSTILE not in html
    assert f'<li><span class="badge">EU</span> visible in DE; {escaped}</li>' in html
    assert f"<td>{escaped[len('notice issued in DE (') : -len('), a member of EU')]}" in html  # the report row
    assert "<td>DE</td></tr>" in html  # where the order was issued

    auth.login("policy_editor")
    html = client.get(f"/policies/test?item_id={item_id}").get_data(as_text=True)
    assert HOSTILE not in html
    assert f'<span class="badge">EU</span> visible in DE; {escaped}</li>' in html
