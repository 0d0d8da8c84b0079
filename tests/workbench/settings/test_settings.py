"""The settings object: validation at start-up, renamed variables, overrides, the generated docs."""

from __future__ import annotations

import ast
import logging
import re
from pathlib import Path

import pytest

from workbench.settings import Settings, SettingsError, external_names, names
from workbench.settings.docs import render
from workbench.settings.spec import FORBIDDEN_SUFFIXES

ROOT = Path(__file__).resolve().parents[3]
NAME = re.compile(r"\bWORKBENCH_[A-Z0-9_]*[A-Z0-9]\b")


def test_the_defaults_are_the_documented_ones(tmp_path):
    settings = Settings.from_env({}, str(tmp_path))
    assert settings.max_upload_bytes == 20 * 1024 * 1024
    assert settings.retry_intervals_s == (5, 30, 120)
    assert settings.classifiers == ("text", "nudenet", "langid")
    assert settings.blob_dir == str(tmp_path / "blobs")
    assert settings.session_idle_s == 3600


def test_every_bad_value_is_reported_at_once(tmp_path):
    environ = {
        "WORKBENCH_JOB_RETRIES": "three",
        "WORKBENCH_QA_SAMPLE_RATE": "1.5",
        "WORKBENCH_SECURE_COOKIES": "maybe",
        "WORKBENCH_APPEAL_PRIORITY": "urgent",
        "WORKBENCH_OUTBOUND_ALLOW_CIDRS": "10.0.0.0/33",
        "REDIS_URL": "http://cache:6379",
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ, str(tmp_path))
    message = str(caught.value)
    for name, value in environ.items():
        assert f"{name}={value!r}" in message
    assert "expected an integer" in message and "between 0 and 1" in message
    assert "one of critical, high, normal, low" in message


def test_an_empty_classifier_list_turns_the_stage_off_but_other_empty_values_take_the_default(tmp_path):
    settings = Settings.from_env({"WORKBENCH_CLASSIFIERS": "", "WORKBENCH_LEASE_S": ""}, str(tmp_path))
    assert settings.classifiers == () and settings.lease_s == 300


class _Lines(logging.Handler):
    """The settings logger's lines, whatever an app's logging setup did to propagation."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())

    def __enter__(self):
        self.logger = logging.getLogger("workbench.settings")
        # Alembic's env.py (fileConfig) disables the loggers that exist when a test migrates.
        self.was_disabled, self.logger.disabled = self.logger.disabled, False
        self.logger.addHandler(self)
        return self

    def __exit__(self, *exc):
        self.logger.removeHandler(self)
        self.logger.disabled = self.was_disabled


def test_an_old_name_is_still_read_with_one_warning(tmp_path):
    with _Lines() as caught:
        settings = Settings.from_env({"WORKBENCH_SESSION_IDLE_MINUTES": "30"}, str(tmp_path))
    assert settings.session_idle_s == 1800  # minutes converted to seconds
    assert caught.lines == [
        "WORKBENCH_SESSION_IDLE_MINUTES is deprecated: rename it to WORKBENCH_SESSION_IDLE_S (in seconds, not minutes)"
    ]


def test_the_new_name_wins_over_the_old_one(tmp_path):
    environ = {"WORKBENCH_MAX_VIDEO_SECONDS": "10", "WORKBENCH_MAX_VIDEO_S": "20"}
    with _Lines() as caught:
        assert Settings.from_env(environ, str(tmp_path)).max_video_s == 20.0
    assert any("using WORKBENCH_MAX_VIDEO_S" in line for line in caught.lines)


def test_overrides_are_validated_like_the_environment(tmp_path):
    settings = Settings.from_env({"WORKBENCH_LEASE_S": "60"}, str(tmp_path), {"WORKBENCH_LEASE_S": 90})
    assert settings.lease_s == 90
    with pytest.raises(SettingsError, match="WORKBENCH_LEASE_SECONDS: not a setting"):
        Settings.from_env({}, str(tmp_path), {"WORKBENCH_LEASE_SECONDS": 90})
    with pytest.raises(SettingsError, match=r"WORKBENCH_LEASE_S=0: expected >= 1"):
        settings.with_values({"WORKBENCH_LEASE_S": 0})


def test_create_app_refuses_a_bad_value(tmp_path):
    from workbench import create_app

    with pytest.raises(SettingsError, match="WORKBENCH_EXPOSURE_BUDGET='lots'"):
        create_app({"INSTANCE_PATH": str(tmp_path), "WORKBENCH_EXPOSURE_BUDGET": "lots"})


def test_one_spelling_per_unit():
    for name in names():
        if name in {old.name for item in _declared() for old in item.spec.old}:
            continue
        assert not name.endswith(FORBIDDEN_SUFFIXES), name


def test_docs_configuration_md_is_generated_from_the_declarations():
    committed = (ROOT / "docs" / "configuration.md").read_text()
    assert committed == render(), "regenerate it: python -m workbench.settings > docs/configuration.md"


def test_every_variable_the_code_names_is_declared_and_documented():
    known = set(names()) | external_names()
    found = {}
    for path in (ROOT / "workbench").rglob("*.py"):
        for name in NAME.findall(path.read_text()):
            found.setdefault(name, str(path.relative_to(ROOT)))
    unknown = {name: where for name, where in found.items() if name not in known}
    assert not unknown, f"undeclared settings (add them to workbench/settings/fields.py): {unknown}"
    documented = set(NAME.findall((ROOT / "docs" / "configuration.md").read_text()))
    assert set(found) <= documented


def test_services_and_pipeline_never_read_the_flask_config():
    offenders = []
    for package in ("services", "pipeline"):
        for path in (ROOT / "workbench" / package).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if "current_app.config" in line or "app.config[" in line or "app.config.get(" in line:
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "services and the pipeline receive Settings instead:\n" + "\n".join(offenders)


# Services and the pipeline receive Settings, or values from them, from their callers (routes,
# CLI commands, jobs, worker start-up): they may import the type, nothing that looks the
# running app's settings up. current_app is allowed only where a module needs the app itself.
CURRENT_APP_ALLOWED = {
    "workbench/services/banks/feed.py": "a commit hook publishes bank changes on the app's Redis",
    "workbench/pipeline/hash_stage.py": "the process's bank matcher is kept on the app",
    "workbench/pipeline/video_hash.py": "the process's bank matcher and media index are kept on the app",
}


def settings_lookups(path: Path, where: str, allowed=CURRENT_APP_ALLOWED) -> list[str]:
    """Imports in `path` that would let a service fetch settings itself instead of receiving them."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names = {alias.name for alias in node.names}
            module = node.module or ""
            if module.startswith("workbench.settings") and (module != "workbench.settings" or names - {"Settings"}):
                found.append(f"{where}:{node.lineno}: from {module} import {', '.join(sorted(names))}")
            elif module == "workbench" and "settings" in names:
                found.append(f"{where}:{node.lineno}: from workbench import settings")
            elif module == "flask" and "current_app" in names and where not in allowed:
                found.append(f"{where}:{node.lineno}: from flask import current_app")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("workbench.settings") or alias.name == "flask":
                    found.append(f"{where}:{node.lineno}: import {alias.name}")
    return found


def test_services_and_pipeline_receive_their_settings():
    offenders, uses_current_app = [], set()
    for package in ("services", "pipeline"):
        for path in sorted((ROOT / "workbench" / package).rglob("*.py")):
            where = str(path.relative_to(ROOT))
            offenders += settings_lookups(path, where)
            if any("current_app" in line for line in settings_lookups(path, where, allowed={})):
                uses_current_app.add(where)
    assert not offenders, "pass Settings (or the values) in from the caller:\n" + "\n".join(offenders)
    assert uses_current_app == set(CURRENT_APP_ALLOWED), "keep CURRENT_APP_ALLOWED to the modules that need it"


def test_the_settings_lookup_rule_catches_each_way_in(tmp_path):
    for source in (
        "from workbench.settings import current",
        "from workbench.settings import Settings, current_or_defaults",
        "from workbench.settings import of as settings_of",
        "from workbench import settings",
        "import workbench.settings",
        "from workbench.settings.fields import Settings",
        "from flask import current_app",
        "import flask",
    ):
        module = tmp_path / "module.py"
        module.write_text(source + "\n")
        assert settings_lookups(module, "workbench/services/x.py"), source
    module.write_text("from workbench.settings import Settings\nfrom flask import has_app_context\n")
    assert settings_lookups(module, "workbench/services/x.py") == []


def _declared():
    from workbench.settings import declared_settings

    return declared_settings()
