"""Review queues: claiming cases under a lease, and moderators' decisions.

claims.py        claim_next, claim_case, current_claim, who may see which case
case_actions.py  renew_lease, release, hold, escalate, expire_leases
decisions.py     decide_case, allowed_rules, DECISION_HOOKS
bulk.py          bulk_targets, decide_bulk
routing.py       applying a policy plan: automated decisions and cases in queues
queues.py        the overview of queues a user may see
case_view.py     everything the case page shows
"""
