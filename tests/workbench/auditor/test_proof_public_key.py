"""The proof page reads only the published public key: a web request never opens or creates
the private signing key, and works (without a key or a checkpoint) before the signer ran."""

from __future__ import annotations

import os

from workbench import audit
from workbench import settings as workbench_settings
from workbench.audit import Actor, verifier
from workbench.audit.checkpoints import create_checkpoint
from workbench.audit.keys import load_or_create_signing_key, public_key_path, public_key_pem, publish_public_key
from workbench.extensions import db


def seed(app, count: int) -> None:
    with app.app_context():
        audit.record_many(
            db.session, Actor.system("tests"), "thing.done", "thing", ((n, {"n": n}) for n in range(count))
        )
        db.session.commit()


def test_the_proof_never_touches_the_private_key(app, auth, client, tmp_path):
    sealed = tmp_path / "sealed"  # where the web process is told the private key lives
    sealed.mkdir()
    workbench_settings.update(app, WORKBENCH_AUDIT_SIGNING_KEY=str(sealed / "audit_signing_key.pem"))
    public = sealed / "audit_signing_key.pub.pem"
    assert public_key_path(workbench_settings.of(app)) == str(public)
    sealed.chmod(0o500)  # unwritable too (a root test run writes regardless: the listing decides)
    try:
        auth.login("auditor")
        seed(app, 20)

        before = client.get("/audit/events/3/proof.json")
        assert before.status_code == 200
        document = before.get_json()
        assert document["checkpoint"] is None and "No signed checkpoint" in document["note"]
        assert document["public_key_pem"] is None and "No public key is published" in document["public_key_note"]
        assert os.listdir(sealed) == []  # the request created no key

        # The signer runs elsewhere with its own copy of the key and publishes the public half.
        signer = load_or_create_signing_key(str(tmp_path / "signer" / "audit_signing_key.pem"))
        sealed.chmod(0o700)
        publish_public_key(signer, str(public))
        sealed.chmod(0o500)
        with app.app_context():
            checkpoint = create_checkpoint(db.session, signer)
            assert checkpoint is not None and checkpoint.tree_size >= 20

        after = client.get("/audit/events/3/proof.json").get_json()
        assert after["verifies"] is True and after["signature_valid"] is True
        assert after["public_key_pem"] == public_key_pem(signer).decode() and "public_key_note" not in after
        assert verifier.signature_valid(after["public_key_pem"].encode(), after["checkpoint"])
        assert os.listdir(sealed) == ["audit_signing_key.pub.pem"]  # still no private key
    finally:
        sealed.chmod(0o700)


def test_another_public_key_does_not_validate_the_signature(app, auth, client, tmp_path):
    seed(app, 5)
    signer = load_or_create_signing_key(str(tmp_path / "signer.pem"))
    with app.app_context():
        create_checkpoint(db.session, signer)
    stranger = load_or_create_signing_key(str(tmp_path / "stranger.pem"))
    workbench_settings.update(app, WORKBENCH_AUDIT_PUBLIC_KEY=str(tmp_path / "published" / "stranger.pub.pem"))
    publish_public_key(stranger, workbench_settings.of(app).audit_public_key)
    auth.login("auditor")
    document = client.get("/audit/events/2/proof.json").get_json()
    assert document["verifies"] is True  # the path folds to the signed root...
    assert document["signature_valid"] is False  # ...but that key did not sign it
    (tmp_path / "published" / "stranger.pub.pem").write_text("not a key")
    garbled = client.get("/audit/events/2/proof.json")
    assert garbled.status_code == 200 and garbled.get_json()["public_key_pem"] is None


def test_the_signer_publishes_the_public_key(app, tmp_path):
    seed(app, 3)
    workbench_settings.update(app, WORKBENCH_AUDIT_SIGNING_KEY=str(tmp_path / "keys" / "audit.pem"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0 and "checkpoint at" in result.output, result.output
    private, public = tmp_path / "keys" / "audit.pem", tmp_path / "keys" / "audit.pub.pem"
    assert private.stat().st_mode & 0o777 == 0o600 and public.stat().st_mode & 0o777 == 0o644
    signer = load_or_create_signing_key(str(private))
    assert public.read_bytes() == public_key_pem(signer)
    public.write_text("stale")  # e.g. left from a rotated key: the signer puts the right one back
    app.extensions.pop("workbench_audit_key", None)
    seed(app, 1)
    assert runner.invoke(args=["audit", "checkpoint"]).exit_code == 0
    assert public.read_bytes() == public_key_pem(signer)
