"""Review queues: claiming cases under a lease, and moderators' decisions.

    claims.py     claim_next, renew_lease, release, hold, escalate, expire_leases
    decisions.py  decide_case, allowed_rules, DECISION_HOOKS, bulk_targets, decide_bulk
    queues.py     the overview of queues a user may see
    case_view.py  everything the case page shows
"""
