"""Sealed identities open only under the key, survive a key change, and tag without naming."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.config import ConfigError, load_settings
from bot.core.sealing import IdentitySeal, SealError, load_seal, new_key

STUDENT = 123456789


def test_a_sealed_id_opens_under_its_key_and_not_under_another() -> None:
    seal = IdentitySeal([new_key()])
    sealed = seal.seal(STUDENT)
    assert str(STUDENT) not in sealed
    assert seal.open(sealed) == STUDENT
    with pytest.raises(SealError):
        IdentitySeal([new_key()]).open(sealed)


def test_a_new_key_in_front_still_opens_the_old_and_reseals_under_the_new() -> None:
    old, new = new_key(), new_key()
    sealed = IdentitySeal([old]).seal(STUDENT)
    both = IdentitySeal([new, old])
    assert both.open(sealed) == STUDENT
    resealed = both.reseal(sealed)
    assert IdentitySeal([new]).open(resealed) == STUDENT
    assert IdentitySeal([old]).tag(STUDENT) in both.tags(STUDENT)
    assert both.tag(STUDENT) == IdentitySeal([new]).tag(STUDENT)


def test_tags_and_pseudonyms_are_stable_per_person_and_say_nothing_without_the_key() -> None:
    key = new_key()
    seal = IdentitySeal([key])
    assert seal.tag(STUDENT) == IdentitySeal([key]).tag(STUDENT)
    assert seal.tag(STUDENT) != seal.tag(STUDENT + 1)
    assert seal.tag(STUDENT) != IdentitySeal([new_key()]).tag(STUDENT)
    assert str(STUDENT) not in seal.tag(STUDENT)
    # Below every chat id Telegram gives, so a stand-in never meets a real chat's links.
    assert seal.pseudonym(STUDENT) < -(10**15) < -1_009_999_999_999


def test_without_identity_key_a_key_file_is_made_once_and_kept(tmp_path: Path) -> None:
    key_file = tmp_path / "data" / "identity.key"
    sealed = load_seal(None, key_file).seal(STUDENT)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_seal(None, key_file).open(sealed) == STUDENT


def test_a_malformed_identity_key_is_a_configuration_error_naming_it() -> None:
    with pytest.raises(ConfigError, match="IDENTITY_KEY"):
        load_settings(identity_key="not-a-key", _env_file=None)
