"""Policy packs in the app: drafts, publishing, the compiled packs in force, evaluation, backtests."""
