"""The item pipeline: hash -> classify -> policy -> route, one committed transaction per stage."""
