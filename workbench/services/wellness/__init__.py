"""Moderator wellness: exposure budgets and display preferences."""
