"""The published packs as a ready-to-evaluate PolicySet, compiled once per process.

A published text never changes, so a compiled pack is cached by (text sha256, version number)
for the life of the process. Which versions are in force is one small query per evaluation
(the latest id per pack): publishing or rolling back shows up on the very next item.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from policies import CompiledPack, PolicySet, compile_pack_text
from workbench.models import PolicyVersion
from workbench.services.policy.packs import seed_default_packs

DRAFT_LABEL = "draft"
_MAX_COMPILED = 128
_MAX_SETS = 16
_lock = threading.Lock()
_compiled: OrderedDict[tuple[str, str], CompiledPack] = OrderedDict()
_sets: OrderedDict[tuple, PublishedPolicies] = OrderedDict()


@dataclass(frozen=True)
class PublishedPolicies:
    key: tuple[tuple[str, int, str], ...]  # (jurisdiction, number, sha256) of each version in force
    policy_set: PolicySet
    establishments: frozenset[str] = frozenset()  # WORKBENCH_PROVIDER_JURISDICTIONS

    @property
    def versions(self) -> dict[str, int]:
        return {jurisdiction: number for jurisdiction, number, _ in self.key}

    def pack(self, jurisdiction: str) -> CompiledPack | None:
        return self.policy_set.packs.get(jurisdiction)


def in_force_key(session: Session) -> tuple[tuple[str, int, str], ...]:
    rows = session.execute(
        select(PolicyVersion.jurisdiction, PolicyVersion.number, PolicyVersion.sha256).where(
            PolicyVersion.id.in_(select(func.max(PolicyVersion.id)).group_by(PolicyVersion.pack_id))
        )
    ).all()
    return tuple(sorted((j, n, s) for j, n, s in rows))


def compiled_pack(text: str, sha256: str, version_label: str) -> CompiledPack:
    key = (sha256, version_label)
    with _lock:
        pack = _compiled.get(key)
        if pack is not None:
            _compiled.move_to_end(key)
            return pack
    pack = compile_pack_text(text, version=version_label)  # outside the lock: compiling takes ms
    with _lock:
        _compiled[key] = pack
        while len(_compiled) > _MAX_COMPILED:
            _compiled.popitem(last=False)
    return pack


def published_policies(
    session: Session, *, seed_if_empty: bool = False, establishments: Iterable[str] = ()
) -> PublishedPolicies:
    """The versions in force. With seed_if_empty, a new install publishes the default packs
    first (in the caller's transaction: first use, e.g. the first item's policy stage).

    `establishments` (Settings.provider_jurisdictions: their packs apply to every item) matter
    to deciding: callers that evaluate items pass them; looking up a pack or a rule needs none."""
    establishments = frozenset(establishments)
    key = in_force_key(session)
    if not key and seed_if_empty:
        seed_default_packs(session)
        key = in_force_key(session)
    with _lock:
        cached = _sets.get((key, establishments))
        if cached is not None:
            _sets.move_to_end((key, establishments))
            return cached
    missing = {(j, n) for j, n, s in key if (s, str(n)) not in _compiled}
    texts = {}
    if missing:
        rows = session.execute(
            select(PolicyVersion.jurisdiction, PolicyVersion.number, PolicyVersion.text).where(
                PolicyVersion.jurisdiction.in_({j for j, _ in missing})
            )
        ).all()
        texts = {(j, n): text for j, n, text in rows if (j, n) in missing}
    packs = []
    for jurisdiction, number, sha256 in key:
        text = texts.get((jurisdiction, number))
        packs.append(
            compiled_pack(text, sha256, str(number))
            if text is not None
            else _compiled_or_reload(session, jurisdiction, number, sha256)
        )
    published = PublishedPolicies(key, PolicySet(packs, establishments=establishments), establishments)
    with _lock:
        _sets[(key, establishments)] = published
        while len(_sets) > _MAX_SETS:
            _sets.popitem(last=False)
    return published


def _compiled_or_reload(session: Session, jurisdiction: str, number: int, sha256: str) -> CompiledPack:
    with _lock:
        pack = _compiled.get((sha256, str(number)))
    if pack is not None:
        return pack
    text = session.scalar(
        select(PolicyVersion.text).where(PolicyVersion.jurisdiction == jurisdiction, PolicyVersion.number == number)
    )
    return compiled_pack(text, sha256, str(number))


def with_draft(published: PublishedPolicies, draft_pack: CompiledPack) -> PolicySet:
    """The published set with one pack replaced by (or extended with) a draft."""
    packs = [p for j, p in published.policy_set.packs.items() if j != draft_pack.jurisdiction]
    return PolicySet(packs + [draft_pack], published.policy_set.catalogue, establishments=published.establishments)


def compile_draft(text: str) -> CompiledPack:
    """Raises PackInvalid with the issues (and their lines)."""
    return compile_pack_text(text, version=DRAFT_LABEL)
