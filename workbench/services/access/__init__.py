"""Who may do and see what: staff roles and their permissions, and each user's scope by
region and language. The web layer's `require_permission` decorator reads these tables."""
