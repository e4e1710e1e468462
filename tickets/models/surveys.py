"""Satisfaction surveys: the single-use invitation a requester gets after resolution, and
the answers it brings back (one response per case, one score per question).

Only a SHA-256 of the invitation's random token is stored; the link carries the raw token
signed with a timestamp (`tickets.surveys`), so a tampered or expired link is refused
before any query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from supportdesk.tenancy import TenantOwned

__all__ = ["SurveyAnswer", "SurveyInvitation", "SurveyResponse"]


class SurveyInvitation(TenantOwned):
    """The survey link of one case (one per case: inviting twice changes nothing)."""

    case = models.OneToOneField(
        "tickets.Case",
        on_delete=models.CASCADE,
        related_name="survey_invitation",
        verbose_name=_("case"),
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("recipient"),
    )
    token_digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("invited"))
    expires_at = models.DateTimeField(_("link expires"))
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("survey invitation")
        verbose_name_plural = _("survey invitations")
        indexes = [models.Index(fields=["tenant", "created_at"], name="surveyinv_tenant_created")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="surveyinv_expires_after_created",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.number} survey"


class SurveyResponse(TenantOwned):
    """What the requester answered; written once, when the invitation is used."""

    invitation = models.OneToOneField(
        SurveyInvitation,
        on_delete=models.CASCADE,
        related_name="response",
        verbose_name=_("invitation"),
    )
    case = models.OneToOneField(
        "tickets.Case",
        on_delete=models.CASCADE,
        related_name="survey_response",
        verbose_name=_("case"),
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    submitted_at = models.DateTimeField(_("submitted"))

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")

    def __str__(self) -> str:
        return f"{self.case.number} survey response"


class SurveyAnswer(TenantOwned):
    """One question's score, on the tenant's scale (`TenantPolicy.survey_scale_min/max`)."""

    response = models.ForeignKey(
        SurveyResponse,
        on_delete=models.CASCADE,
        related_name="answers",
        verbose_name=_("response"),
    )
    question = models.ForeignKey(
        "plans.SurveyQuestion",
        on_delete=models.PROTECT,  # a pack reload may not drop a question that has answers
        related_name="answers",
        verbose_name=_("question"),
    )
    score = models.PositiveSmallIntegerField(_("score"))

    class Meta:
        ordering = ["response", "question__position"]
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        constraints = [
            models.UniqueConstraint(fields=["response", "question"], name="surveyanswer_unique")
        ]

    def __str__(self) -> str:
        return f"{self.question.key}: {self.score}"
