"""Hash banks: banks and entries (banks, entries), the change feed (feed) and the
per-worker matcher it keeps current (matcher, runtime, matching), list imports and
exports, and the compare tool. Every change is audited in its own transaction."""
