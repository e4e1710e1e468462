"""Factories for the satisfaction survey models (joined into TENANT_OWNED_FACTORIES).

Real invitations and answers come from `tickets.surveys`; these make bare rows for
scoping tests. `tests.factories` is imported lazily: it imports this module at its end.
"""

import datetime as dt
import secrets

from plans.models import SurveyQuestion
from tickets.models import SurveyAnswer, SurveyInvitation, SurveyResponse
from tickets.surveys.links import LINK_LIFETIME, token_digest


def invitation_in(tenant, case=None) -> SurveyInvitation:
    from tests.factories import CaseFactory, OrganizationFactory

    case = case or CaseFactory(organization=OrganizationFactory(tenant=tenant))
    now = dt.datetime.now(dt.UTC)
    return SurveyInvitation.objects.create(
        tenant=tenant,
        case=case,
        recipient=case.requester,
        token_digest=token_digest(secrets.token_urlsafe(32)),
        created_at=now,
        expires_at=now + LINK_LIFETIME,
    )


def response_in(tenant, invitation=None) -> SurveyResponse:
    invitation = invitation or invitation_in(tenant)
    return SurveyResponse.objects.create(
        tenant=tenant,
        invitation=invitation,
        case=invitation.case,
        submitted_at=dt.datetime.now(dt.UTC),
    )


def answer_in(tenant) -> SurveyAnswer:
    question, _ = SurveyQuestion.objects.get_or_create(
        tenant=tenant, key="overall", defaults={"text": "How satisfied are you?"}
    )
    return SurveyAnswer.objects.create(
        tenant=tenant, response=response_in(tenant), question=question, score=4
    )


TENANT_OWNED = {
    SurveyInvitation: invitation_in,
    SurveyResponse: response_in,
    SurveyAnswer: answer_in,
}
