"""The survey link is the credential: `/survey/<signed token>/` needs no sign-in.

The token is random; only its SHA-256 is stored, and the URL carries it signed with a
timestamp (`TimestampSigner(salt="survey")`), so a tampered link (404) or an expired one
(410) is refused before the database is asked.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.core import signing
from django.urls import reverse
from django.utils import timezone

from tickets.models import SurveyInvitation

LINK_LIFETIME = dt.timedelta(days=14)
SIGNER_SALT = "survey"


class SurveyLinkInvalid(Exception):
    """Tampered, unknown or malformed link: answer as if there were no such page (404)."""


class SurveyLinkExpired(Exception):
    """The link's lifetime is over (410)."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SIGNER_SALT)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def survey_link_path(raw: str) -> str:
    return reverse("survey:answer", args=[_signer().sign(raw)])


def survey_link_open(*, token: str) -> SurveyInvitation:
    """The invitation a link names. Raises SurveyLinkInvalid (tampered, unknown) or
    SurveyLinkExpired; the signature and its age are checked before any query."""
    try:
        raw = _signer().unsign(token, max_age=LINK_LIFETIME)
    except signing.SignatureExpired as exc:
        raise SurveyLinkExpired from exc
    except signing.BadSignature as exc:
        raise SurveyLinkInvalid from exc
    invitation = (
        SurveyInvitation.objects.select_related("tenant", "case", "recipient")
        .filter(token_digest=token_digest(raw))
        .first()
    )
    if invitation is None:
        raise SurveyLinkInvalid
    if timezone.now() >= invitation.expires_at:
        raise SurveyLinkExpired
    return invitation
