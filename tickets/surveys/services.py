"""Satisfaction surveys, the writes: inviting the requester (the link mailed through the
notifications outbox) and answering.

The tenant's policy pack decides whether there is a survey (`survey:` section), when it is
sent (`trigger`: resolved or closed), its scale and its questions (`plans.SurveyQuestion`).
Reads are in `selectors`; the link (the credential: a signed token) in `links`. Each
invitation answers once.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import EntitlementMode, PlanEntitlement, SurveyQuestion
from plans.selectors import entitlements_for, survey_questions
from supportdesk.models import User
from tickets.models import (
    Case,
    CaseStatus,
    NotificationKind,
    SurveyAnswer,
    SurveyInvitation,
    SurveyResponse,
)
from tickets.notifications.links import absolute_url
from tickets.notifications.outbox import notify
from tickets.surveys.links import LINK_LIFETIME, SurveyLinkExpired, survey_link_path, token_digest
from tickets.surveys.selectors import SurveyScale, survey_scale, survey_settings, survey_trigger

COMMENT_MAX_LENGTH = 2000
ENTITLEMENT = "satisfaction_survey"
# A survey follows the end of the work; the pack's trigger says which of the two.
FINISHED_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


class SurveyAlreadyAnswered(Exception):
    """The invitation was used already; a survey answers once."""


def _entitled(case: Case, at: dt.datetime) -> bool:
    """Where the tenant's plans name the survey as a service, the customer's plan must grant
    it; a pack whose plans do not mention it sends the survey to every customer."""
    tenant_lists_it = (
        PlanEntitlement.objects.for_tenant(case.tenant)
        .filter(key=ENTITLEMENT)
        .exclude(mode=EntitlementMode.NOT_INCLUDED)
    )
    if not tenant_lists_it.exists():
        return True
    return entitlements_for(customer=case.organization, at=at).has(ENTITLEMENT)


# --- Services ---------------------------------------------------------------------------------


def survey_invite(*, case: Case) -> tuple[SurveyInvitation, str | None] | None:
    """Invite the case's requester to the tenant's survey; returns (invitation, link path).

    None when there is nothing to send: the tenant's pack has no survey (or no questions),
    the case is not resolved or closed, the requester cannot receive it (inactive, no
    e-mail), or the customer's plan does not include the survey. Idempotent: a case has
    one invitation (database constraint); a second call returns it with path None, because
    the raw token is never stored. The path (`/survey/<signed token>/`) is what to mail.
    """
    tenant = case.tenant
    if survey_settings(tenant=tenant) is None or not survey_questions(tenant=tenant).exists():
        return None
    if case.status not in FINISHED_STATUSES:
        return None
    requester: User | None = case.requester
    if requester is None or not requester.is_active or not requester.email:
        return None
    existing = SurveyInvitation.objects.for_tenant(tenant).filter(case=case).first()
    if existing is not None:
        return existing, None
    now = timezone.now()
    if not _entitled(case, now):
        return None
    raw = secrets.token_urlsafe(32)
    try:
        with transaction.atomic():
            invitation = SurveyInvitation.objects.create(
                tenant=tenant,
                case=case,
                recipient=requester,
                token_digest=token_digest(raw),
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
    except IntegrityError:  # a concurrent call invited first
        return SurveyInvitation.objects.for_tenant(tenant).get(case=case), None
    return invitation, survey_link_path(raw)


def survey_invite_if_due(*, case: Case) -> tuple[SurveyInvitation, str | None] | None:
    """`survey_invite` when the case has just reached the pack's trigger status, else None.

    Call it after every status change (resolve, close); it does nothing for other statuses
    or tenants without a survey.
    """
    trigger = survey_trigger(tenant=case.tenant)
    if trigger is None or case.status != trigger:
        return None
    return survey_invite(case=case)


def survey_send_if_due(*, case: Case) -> SurveyInvitation | None:
    """Invite when the case reached the pack's trigger, and hand the link to the requester
    through the notifications outbox (kind "survey"; mailed after the commit).

    One line for the case workflow to call after each status change, inside its
    transaction. Returns the new invitation, or None when nothing was sent (no survey,
    another status, or invited before: the link is mailed once).
    """
    invited = survey_invite_if_due(case=case)
    if invited is None or invited[1] is None:
        return None
    invitation, path = invited
    notify(
        recipient=invitation.recipient,
        kind=NotificationKind.SURVEY,
        dedupe_key=f"survey:{invitation.pk}",
        case=case,
        context={"survey_url": absolute_url(path)},
    )
    return invitation


def _score_errors(
    scores: Mapping[str, object], questions: list[SurveyQuestion], scale: SurveyScale
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    known = {q.key for q in questions}
    for question in questions:
        value = scores.get(question.key)
        if value is None or value == "":
            errors[question.key] = [_("Please choose a score.")]
        elif isinstance(value, bool) or not isinstance(value, int):
            errors[question.key] = [_("Give a whole number.")]
        elif value not in scale.values():
            errors[question.key] = [
                _("Choose a score from %(low)s to %(high)s.")
                % {"low": scale.low, "high": scale.high}
            ]
    for key in scores:
        if key not in known:
            errors[key] = [_("This survey has no such question.")]
    return errors


@transaction.atomic
def survey_submit(
    *, invitation: SurveyInvitation, scores: Mapping[str, object], comment: str = ""
) -> SurveyResponse:
    """Store the requester's answers (a score for every question) and use up the link.

    Raises ValidationError with one entry per question key (and "comment") for bad input,
    SurveyAlreadyAnswered when the link was used already, SurveyLinkExpired after expiry.
    """
    invitation = (
        SurveyInvitation.objects.select_for_update(of=("self",))
        .select_related("tenant", "case")
        .get(pk=invitation.pk)
    )
    if invitation.answered_at is not None:
        raise SurveyAlreadyAnswered
    now = timezone.now()
    if now >= invitation.expires_at:
        raise SurveyLinkExpired
    tenant = invitation.tenant
    questions = list(survey_questions(tenant=tenant))
    scale = survey_scale(tenant=tenant)
    if not questions or scale is None:
        raise ValidationError(_("This survey is no longer available."))
    errors = _score_errors(scores, questions, scale)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX_LENGTH:
        errors["comment"] = [
            _("Keep the comment to %(max)s characters.") % {"max": COMMENT_MAX_LENGTH}
        ]
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                tenant=tenant,
                invitation=invitation,
                case=invitation.case,
                comment=comment,
                submitted_at=now,
            )
    except IntegrityError as exc:
        raise SurveyAlreadyAnswered from exc
    SurveyAnswer.objects.bulk_create(
        SurveyAnswer(tenant=tenant, response=response, question=q, score=scores[q.key])
        for q in questions
    )
    invitation.answered_at = now
    invitation.save(update_fields=["answered_at"])
    return response
