"""What platforms send: items (text, images, videos, checked within budgets) and notices."""
