"""Reading surveys: the tenant's survey (pack section, trigger, scale, questions in the
reader's language) and its results and responses for the desk's staff."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Avg, Count, QuerySet

from plans.models import CustomerOrganization, SurveyQuestion
from plans.selectors import policy_for, survey_questions
from supportdesk.models import Tenant, User
from tickets.models import SurveyAnswer, SurveyInvitation, SurveyResponse


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
