"""`python -m workbench.settings > docs/configuration.md`: the settings reference."""

from workbench.settings.docs import render

print(render(), end="")
