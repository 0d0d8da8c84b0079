"""The words of the rule language: one place, shared by the schema builder, compiler and docs."""

from __future__ import annotations

MODES = ("enforce", "shadow")

ACTIONS = (
    "remove",
    "geo_restrict",
    "age_restrict",
    "label",
    "demote",
    "queue",
    "escalate",
    "report_authority",
    "no_action",
)
# Actions that change what users can see: they need a statement of reasons in the EU (DSA Art. 17).
RESTRICTING_ACTIONS = ("remove", "geo_restrict", "age_restrict", "label", "demote")

PRIORITIES = ("critical", "high", "normal", "low")  # most urgent first
PRIORITY_RANK = {name: rank for rank, name in enumerate(PRIORITIES)}

NUMERIC_OPS = (">=", ">", "<=", "<", "==", "!=")
SET_OPS = ("in", "not_in")
FIELD_OPS = NUMERIC_OPS + SET_OPS

ITEM_KINDS = ("text", "image", "video", "audio")
ITEM_FIELDS = ("kind", "country", "language", "account_age_days")
NUMERIC_FIELDS = ("account_age_days",)

REPORT_SOURCES = ("user", "trusted_flagger", "authority_order")

# Bank kinds from the hash-matching issue, plus `music` from the video issue.
BANK_KINDS = ("csam", "terrorism", "ncii", "copyright", "spam", "music", "other")
HASH_ALGORITHMS = ("pdq", "phash", "dhash", "md5", "sha256", "vpdq", "chromaprint")

# Signals the classifiers produce today. An unknown signal name is a warning, not an error:
# a new classifier may add labels before the catalogue of names is updated.
DETOXIFY_SIGNALS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack", "sexual_explicit")
OFFLINE_TEXT_SIGNALS = ("profanity",)
NUDENET_CLASSES = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
NUDENET_SIGNALS = ("exposed",) + NUDENET_CLASSES  # `exposed`: max score over the *_EXPOSED classes
# From the hash stage for videos (workbench/pipeline/video_hash.py): vPDQ and music matches.
MEDIA_MATCH_SIGNALS = ("vpdq_match", "music_match", "music_unlicensed")
KNOWN_SIGNALS = frozenset(DETOXIFY_SIGNALS + OFFLINE_TEXT_SIGNALS + NUDENET_SIGNALS + MEDIA_MATCH_SIGNALS)

# Report categories the default packs use. Platforms may send others; packs may name any.
REPORT_CATEGORIES = (
    "illegal_hate_speech",
    "terrorism",
    "csam",
    "ncii",
    "harassment",
    "threat",
    "nudity",
    "self_harm",
    "violence",
    "scam",
    "spam",
    "intellectual_property",
    "defamation",
    "other",
)

NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.:-]{0,79}$"
RULE_ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
JURISDICTION_PATTERN = r"^(GLOBAL|EU|[A-Z]{2})$"
COUNTRY_PATTERN = r"^[A-Z]{2}$"
ISSUER_PATTERN = r"^(EU|[A-Z]{2})$"  # where a notice was issued: a country, or a union matching any member
