"""Satisfaction surveys: inviting the requester, opening and answering the link, results.

Services and selectors in one module. The tenant's policy pack decides whether there is a
survey (`survey:` section), when it is sent (`trigger`: resolved or closed), its scale and
its questions (`plans.SurveyQuestion`).

The link is the credential: `/survey/<signed token>/` needs no sign-in. The token is random;
only its SHA-256 is stored, and the URL carries it signed with a timestamp
(`TimestampSigner(salt="survey")`), so a tampered link (404) or an expired one (410) is
refused before the database is asked. Each invitation answers once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plans.models import CustomerOrganization, EntitlementMode, PlanEntitlement, SurveyQuestion
from plans.selectors import entitlements_for, policy_for, survey_questions
from supportdesk.models import Tenant, User
from tickets.models import Case, CaseStatus, SurveyAnswer, SurveyInvitation, SurveyResponse

LINK_LIFETIME = dt.timedelta(days=14)
SIGNER_SALT = "survey"
COMMENT_MAX_LENGTH = 2000
ENTITLEMENT = "satisfaction_survey"
# A survey follows the end of the work; the pack's trigger says which of the two.
FINISHED_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.CLOSED})


class SurveyLinkInvalid(Exception):
    """Tampered, unknown or malformed link: answer as if there were no such page (404)."""


class SurveyLinkExpired(Exception):
    """The link's lifetime is over (410)."""


class SurveyAlreadyAnswered(Exception):
    """The invitation was used already; a survey answers once."""


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SIGNER_SALT)


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


# --- The tenant's survey ----------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyScale:
    low: int
    high: int

    def values(self) -> range:
        return range(self.low, self.high + 1)


def survey_settings(*, tenant: Tenant) -> dict | None:
    """The pack's `survey:` section, or None when the tenant has no survey."""
    policy = policy_for(tenant=tenant)
    return policy.section("survey") if policy is not None else None


def survey_trigger(*, tenant: Tenant) -> str | None:
    """The case status that sends the survey ("resolved" or "closed"); None: no survey."""
    section = survey_settings(tenant=tenant)
    return section["trigger"] if section else None


def survey_scale(*, tenant: Tenant) -> SurveyScale | None:
    policy = policy_for(tenant=tenant)
    if policy is None or policy.survey_scale_min is None or policy.survey_scale_max is None:
        return None
    return SurveyScale(policy.survey_scale_min, policy.survey_scale_max)


def question_text(question: SurveyQuestion, language: str) -> str:
    """The question in `language` (e.g. "da" or "da-dk") when the pack translates it."""
    translations = question.translations or {}
    language = (language or "").lower()
    return translations.get(language) or translations.get(language.split("-")[0]) or question.text


@dataclass(frozen=True)
class LocalizedQuestion:
    key: str
    text: str
    question: SurveyQuestion


def survey_questions_localized(*, tenant: Tenant, language: str) -> list[LocalizedQuestion]:
    return [
        LocalizedQuestion(key=q.key, text=question_text(q, language), question=q)
        for q in survey_questions(tenant=tenant)
    ]


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
    from tickets.models import NotificationKind
    from tickets.notifications.services import absolute_url, notify

    notify(
        recipient=invitation.recipient,
        kind=NotificationKind.SURVEY,
        dedupe_key=f"survey:{invitation.pk}",
        case=case,
        context={"survey_url": absolute_url(path)},
    )
    return invitation


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


# --- Selectors --------------------------------------------------------------------------------


def month_window(*, tenant: Tenant, month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants [since, until) of `month` (any day in it) in the tenant's time zone."""
    zone = ZoneInfo(tenant.timezone)
    first = dt.datetime(month.year, month.month, 1, tzinfo=zone)
    following = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=zone)
    return first.astimezone(dt.UTC), following.astimezone(dt.UTC)


def _invitations(
    tenant: Tenant,
    organization: CustomerOrganization | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> QuerySet[SurveyInvitation]:
    qs = SurveyInvitation.objects.for_tenant(tenant)
    if organization is not None:
        qs = qs.filter(case__organization=organization)
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    return qs


def survey_response_list(
    *,
    actor: User,
    organization: CustomerOrganization | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[SurveyResponse]:
    """The tenant's responses for its staff (nothing for anyone else), newest first.

    `since`/`until` bound when the survey was sent (the invitation), as the results do.
    """
    if not actor.is_desk_staff:
        return SurveyResponse.objects.none()
    invitations = _invitations(actor.tenant, organization, since, until)
    return (
        SurveyResponse.objects.for_tenant(actor.tenant)
        .filter(invitation__in=invitations)
        .select_related("case", "case__organization", "case__requester", "invitation")
        .prefetch_related("answers__question")
        .order_by("-submitted_at", "-pk")
    )


@dataclass(frozen=True)
class QuestionResult:
    key: str
    text: str
    average: float | None
    count: int


@dataclass(frozen=True)
class SurveyResults:
    invited: int
    answered: int
    response_rate: float | None  # answered / invited, 0..1; None when nobody was invited
    questions: list[QuestionResult]
    scale: SurveyScale | None


def survey_results(
    *,
    tenant: Tenant,
    organization: CustomerOrganization | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    language: str = "en",
) -> SurveyResults:
    """Per question average and count, and the response rate, of the surveys sent in
    [since, until) (optionally to one customer)."""
    if organization is not None and organization.tenant_id != tenant.pk:
        raise ValueError("organization belongs to another tenant")
    invitations = _invitations(tenant, organization, since, until)
    invited = invitations.count()
    answered = invitations.filter(answered_at__isnull=False).count()
    stats = {
        row["question"]: row
        for row in SurveyAnswer.objects.for_tenant(tenant)
        .filter(response__invitation__in=invitations)
        .values("question")
        .annotate(average=Avg("score"), count=Count("pk"))
    }
    questions = []
    for question in survey_questions(tenant=tenant):
        row = stats.get(question.pk)
        questions.append(
            QuestionResult(
                key=question.key,
                text=question_text(question, language),
                average=round(float(row["average"]), 2) if row else None,
                count=row["count"] if row else 0,
            )
        )
    return SurveyResults(
        invited=invited,
        answered=answered,
        response_rate=round(answered / invited, 3) if invited else None,
        questions=questions,
        scale=survey_scale(tenant=tenant),
    )


def response_scores(response: SurveyResponse) -> dict[str, int]:
    """Question key -> score (uses the prefetched answers)."""
    return {answer.question.key: answer.score for answer in response.answers.all()}
