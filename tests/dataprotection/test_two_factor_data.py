"""Two-factor data in export, deletion and "Meine Daten" (issue 21)."""

from __future__ import annotations

import io
import json
import re
import zipfile

import sqlalchemy as sa

from app.auth import twofactor
from app.auth.models import Passkey, RecoveryCode, TotpSecret
from app.dataprotection.services import club_data, user_data
from app.extensions import db
from tests.conftest import PASSWORD, enrol_two_factor


def _enrolled_with_everything(user):
    codes = enrol_two_factor(user)
    twofactor.use_recovery_code(user, codes[0])
    db.session.add(Passkey(user_id=user.id, name="Laptop", credential_id=b"credential-id-1", public_key=b"pk-bytes"))
    db.session.commit()
    return codes


def test_the_personal_export_holds_the_two_factor_data_but_no_secret(app, roles, client_for, mailbox):
    user = roles.member
    codes = _enrolled_with_everything(user)
    data = user_data(user)["two_factor"]
    (totp,) = data["user_totp"]
    assert totp["confirmed_at"] and "encrypted_secret" not in totp
    assert len(data["recovery_code"]) == 10 and sum(1 for row in data["recovery_code"] if row["used_at"]) == 1
    assert all("code_hash" not in row for row in data["recovery_code"])
    (passkey,) = data["passkey"]
    assert passkey["name"] == "Laptop" and "credential_id" not in passkey and "public_key" not in passkey

    client = client_for(user)
    client.post("/konto/meine-daten/export")
    body = mailbox.body(mailbox.to(user.email)[-1])
    link = re.search(r"http://localhost(/konto/meine-daten/export/\S+)", body).group(1)
    archive = zipfile.ZipFile(io.BytesIO(client.get(link).data))
    exported = json.loads(archive.read("two_factor.json"))
    assert set(exported) == {"user_totp", "recovery_code", "passkey"}
    everything = b"".join(archive.read(name) for name in archive.namelist())
    stored = db.session.get(TotpSecret, user.id)
    secret = twofactor.decrypt_secret(stored.encrypted_secret)
    hashes = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
    for needle in (secret, stored.encrypted_secret, *hashes, *codes, "credential-id-1", "pk-bytes"):
        assert needle.encode() not in everything, needle


def test_the_club_export_holds_no_two_factor_data(app, roles):
    _enrolled_with_everything(roles.board)
    data = club_data(roles.club)
    assert data.get("user_totp", []) == [] and data.get("recovery_code", []) == [] and data.get("passkey", []) == []


def test_account_deletion_removes_the_two_factor_data(app, roles, client_for):
    from app.clubs.models import Membership, Role

    membership = db.session.scalar(sa.select(Membership).where(Membership.user_id == roles.member.id))
    membership.role = Role.BOARD  # a second board member may leave
    db.session.commit()
    uid = roles.member.id
    _enrolled_with_everything(roles.member)
    response = client_for(roles.member).post("/konto/loeschen", data={"current_password": PASSWORD})
    assert response.status_code == 303
    for model in (TotpSecret, RecoveryCode, Passkey):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(model).where(model.user_id == uid)) == 0


def test_my_data_explains_the_two_factor_data(app, roles, client_for):
    _enrolled_with_everything(roles.member)
    body = client_for(roles.member).get("/konto/meine-daten").get_data(as_text=True)
    row = re.search(r'<tr id="kategorie-two_factor">(.*?)</tr>', body, re.S).group(1)
    assert "Zwei-Faktor-Anmeldung" in row and "verschlüsselt" in row and "nur als Hash" in row
    assert "<td>12</td>" in row  # the secret, ten recovery codes, one passkey
