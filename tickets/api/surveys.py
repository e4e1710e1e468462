"""REST endpoints for satisfaction surveys.

- `/api/v1/surveys/` (staff): the tenant's responses with case number, score per question
  key and comment; `/api/v1/surveys/summary/`: averages per question and response rate.
  Both filter by `organization` and `month` (the month the survey was sent, tenant time).
  Contacts get 403; another tenant's responses do not exist (404).
- `/api/v1/survey-links/{token}/` (no sign-in: the signed link is the credential): the
  questions in the viewer's language; `POST …/answer/` stores the answers once.
  Tampered link 404, expired 410, used 409.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle

from plans import selectors as plan_selectors
from plans.models import CustomerOrganization
from supportdesk.api.mixins import ScopedQuerysetMixin
from supportdesk.api.permissions import IsTenantStaff
from tickets.models import SurveyInvitation, SurveyResponse
from tickets.surveys import links as survey_links
from tickets.surveys import selectors as survey_selectors
from tickets.surveys import services as surveys
from tickets.web.surveys import viewer_language

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class LinkExpired(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = gettext_lazy("This survey link has expired.")
    default_code = "expired"


class AlreadyAnswered(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("This survey has been answered already.")
    default_code = "answered"


# --- Serializers ------------------------------------------------------------------------------


class SurveyFilterSerializer(serializers.Serializer):
    organization = serializers.PrimaryKeyRelatedField(
        queryset=CustomerOrganization.objects.none(), required=False
    )
    month = serializers.RegexField(
        MONTH_PATTERN,
        required=False,
        error_messages={"invalid": gettext_lazy("Give a month as YYYY-MM.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user = self.context["request"].user
        self.fields["organization"].queryset = plan_selectors.organization_list(actor=user)


FILTER_PARAMETERS = [
    OpenApiParameter(
        "organization", OpenApiTypes.INT, description="Only this customer organisation (id)."
    ),
    OpenApiParameter(
        "month",
        OpenApiTypes.STR,
        description="YYYY-MM: only surveys sent in this month (the tenant's time zone).",
    ),
]


class SurveyResponseSerializer(serializers.ModelSerializer):
    case = serializers.CharField(source="case.number", read_only=True)
    subject = serializers.CharField(source="case.subject", read_only=True)
    organization = serializers.IntegerField(source="case.organization_id", read_only=True)
    customer = serializers.CharField(source="case.organization.name", read_only=True)
    requester = serializers.IntegerField(source="invitation.recipient_id", read_only=True)
    invited_at = serializers.DateTimeField(source="invitation.created_at", read_only=True)
    scores = serializers.SerializerMethodField()

    class Meta:
        model = SurveyResponse
        fields = [
            "case",
            "subject",
            "organization",
            "customer",
            "requester",
            "invited_at",
            "submitted_at",
            "scores",
            "comment",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DictField(child=serializers.IntegerField()))
    def get_scores(self, response: SurveyResponse) -> dict[str, int]:
        return survey_selectors.response_scores(response)


class QuestionResultSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField()
    average = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField()


class SurveySummarySerializer(serializers.Serializer):
    invited = serializers.IntegerField(help_text="Surveys sent in the period.")
    answered = serializers.IntegerField(help_text="Of those, how many were answered.")
    response_rate = serializers.FloatField(
        allow_null=True, help_text="answered / invited (0–1); null when none were sent."
    )
    scale_min = serializers.IntegerField(allow_null=True)
    scale_max = serializers.IntegerField(allow_null=True)
    questions = QuestionResultSerializer(many=True)


class SurveyQuestionSerializer(serializers.Serializer):
    key = serializers.CharField()
    text = serializers.CharField(help_text="In the viewer's language where translated.")


class SurveyLinkSerializer(serializers.Serializer):
    case = serializers.CharField(help_text="Case number.")
    subject = serializers.CharField()
    language = serializers.CharField()
    scale_min = serializers.IntegerField()
    scale_max = serializers.IntegerField()
    questions = SurveyQuestionSerializer(many=True)
    expires_at = serializers.DateTimeField()
    answered = serializers.BooleanField()


class SurveyAnswerInputSerializer(serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Question key -> score on the tenant's scale; every question is required.",
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=surveys.COMMENT_MAX_LENGTH,
        trim_whitespace=True,
    )


class SurveyAnsweredSerializer(serializers.Serializer):
    case = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    scores = serializers.DictField(child=serializers.IntegerField())
    comment = serializers.CharField()


# --- Staff: responses and summary ------------------------------------------------------------


class SurveyResponseViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Satisfaction survey responses of the tenant's cases, by case number (staff only)."""

    model = SurveyResponse
    serializer_class = SurveyResponseSerializer
    permission_classes = [IsTenantStaff]
    filter_backends: list = []
    lookup_field = "case__number"
    lookup_url_kwarg = "number"

    def _filters(self) -> dict:
        params = SurveyFilterSerializer(
            data=self.request.query_params, context=self.get_serializer_context()
        )
        params.is_valid(raise_exception=True)
        organization = params.validated_data.get("organization")
        since = until = None
        if month := params.validated_data.get("month"):
            year, number = (int(part) for part in month.split("-"))
            since, until = survey_selectors.month_window(
                tenant=self.request.user.tenant, month=dt.date(year, number, 1)
            )
        return {"organization": organization, "since": since, "until": until}

    def scoped_queryset(self, user) -> QuerySet[SurveyResponse]:
        filters = self._filters() if self.action == "list" else {}
        return survey_selectors.survey_response_list(actor=user, **filters)

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: SurveyResponseSerializer(many=True),
            400: OpenApiResponse(description="Bad filter: details per parameter."),
            403: OpenApiResponse(description="Not desk staff (e.g. a contact)."),
        },
    )
    def list(self, request, *args, **kwargs):
        """Responses, newest first, with the score per question key and the comment."""
        return super().list(request, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("number", OpenApiTypes.STR, OpenApiParameter.PATH, "Case number.")
        ],
        responses={
            200: SurveyResponseSerializer,
            403: OpenApiResponse(description="Not desk staff (e.g. a contact)."),
            404: OpenApiResponse(description="No answered survey for this case."),
        },
    )
    def retrieve(self, request, *args, **kwargs):
        """The survey response of one case."""
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses={
            200: SurveySummarySerializer,
            400: OpenApiResponse(description="Bad filter: details per parameter."),
            403: OpenApiResponse(description="Not desk staff (e.g. a contact)."),
        },
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def summary(self, request):
        """Average score and answer count per question, and the response rate."""
        filters = self._filters()
        results = survey_selectors.survey_results(
            tenant=request.user.tenant, language=request.LANGUAGE_CODE, **filters
        )
        data = {
            "invited": results.invited,
            "answered": results.answered,
            "response_rate": results.response_rate,
            "scale_min": results.scale.low if results.scale else None,
            "scale_max": results.scale.high if results.scale else None,
            "questions": [
                {"key": q.key, "text": q.text, "average": q.average, "count": q.count}
                for q in results.questions
            ],
        }
        return Response(SurveySummarySerializer(data).data)


# --- The requester's link ---------------------------------------------------------------------

TOKEN_PARAMETER = OpenApiParameter(
    "token",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The signed token of the survey link (`/survey/<token>/`).",
)
LINK_ERRORS = {
    404: OpenApiResponse(description="Unknown or tampered link."),
    410: OpenApiResponse(description="The link has expired."),
}


def _invitation(token: str) -> SurveyInvitation:
    try:
        return survey_links.survey_link_open(token=token)
    except survey_links.SurveyLinkInvalid as exc:
        raise NotFound from exc
    except survey_links.SurveyLinkExpired as exc:
        raise LinkExpired from exc


class SurveyLinkViewSet(viewsets.ViewSet):
    """A requester's survey, reached with the link's token instead of a sign-in."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonRateThrottle]
    lookup_field = "token"
    lookup_value_regex = "[^/]+"

    @extend_schema(
        parameters=[TOKEN_PARAMETER], responses={200: SurveyLinkSerializer, **LINK_ERRORS}
    )
    def retrieve(self, request, token=None):
        """The questions to answer, in the viewer's language (Accept-Language)."""
        invitation = _invitation(token)
        language = viewer_language(request, invitation)
        scale = survey_selectors.survey_scale(tenant=invitation.tenant)
        questions = survey_selectors.survey_questions_localized(
            tenant=invitation.tenant, language=language
        )
        data = {
            "case": invitation.case.number,
            "subject": invitation.case.subject,
            "language": language,
            "scale_min": scale.low if scale else None,
            "scale_max": scale.high if scale else None,
            "questions": [{"key": q.key, "text": q.text} for q in questions],
            "expires_at": invitation.expires_at,
            "answered": invitation.answered_at is not None,
        }
        return Response(SurveyLinkSerializer(data).data)

    @extend_schema(
        parameters=[TOKEN_PARAMETER],
        request=SurveyAnswerInputSerializer,
        responses={
            201: SurveyAnsweredSerializer,
            400: OpenApiResponse(description="Missing or out-of-scale scores, per question."),
            409: OpenApiResponse(description="Answered already: a link is used once."),
            **LINK_ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, token=None):
        """Answer the survey: a score for every question, optionally a comment."""
        invitation = _invitation(token)
        viewer_language(request, invitation)
        data = SurveyAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            response = surveys.survey_submit(
                invitation=invitation,
                scores=data.validated_data["scores"],
                comment=data.validated_data["comment"],
            )
        except surveys.SurveyAlreadyAnswered as exc:
            raise AlreadyAnswered from exc
        except survey_links.SurveyLinkExpired as exc:
            raise LinkExpired from exc
        except DjangoValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise ValidationError({"detail": exc.messages}) from exc
            errors = exc.message_dict
            detail: dict = {}
            if "comment" in errors:
                detail["comment"] = errors.pop("comment")
            if errors:
                detail["scores"] = errors
            raise ValidationError(detail) from exc
        body = {
            "case": invitation.case.number,
            "submitted_at": response.submitted_at,
            "scores": data.validated_data["scores"],
            "comment": response.comment,
        }
        return Response(SurveyAnsweredSerializer(body).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add the survey endpoints to the project's API router."""
    router.register("surveys", SurveyResponseViewSet, basename="survey")
    router.register("survey-links", SurveyLinkViewSet, basename="survey-link")
