"""REST endpoints for cases (`/api/v1/cases/`).

The same rules as the web: staff see their tenant's cases (not those returned to a
customer's administrator), a contact its organisation's; anything else answers 404.
Every write goes through `tickets.services`, every read through `tickets.selectors`.
"""

from __future__ import annotations

from contextlib import contextmanager

import django_filters
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from sla.models import SlaClock
from supportdesk.api.mixins import ScopedQuerysetMixin, django_errors_as_api
from supportdesk.api.permissions import IsTenantMember
from supportdesk.models import Role
from tickets.api.serializers import (
    CaseAssignSerializer,
    CaseEscalateSerializer,
    CaseEventSerializer,
    CaseFileSerializer,
    CaseForwardSerializer,
    CaseListSerializer,
    CaseReclassifySerializer,
    CaseReopenSerializer,
    CaseReplySerializer,
    CaseSerializer,
    CaseTransitionSerializer,
    ClockDetailSerializer,
    EscalationReferenceSerializer,
)
from tickets.cases import selectors, services
from tickets.escalations.selectors import escalation_list
from tickets.escalations.services import escalation_set_reference, task_force_assembled
from tickets.models import Case, CaseStatus, Channel

STAFF_ACTIONS = frozenset(
    {"transition", "assign", "reclassify", "forward", "escalation_reference", "task_force"}
)
# Writes open to the organisation's contacts as well as the desk's agents.
SHARED_WRITES = frozenset({"create", "reopen", "escalate", "submit", "events"})
CASE_WORKERS = frozenset({Role.AGENT, Role.TENANT_ADMIN})


class IsCaseWorker(IsTenantMember):
    """Agents and tenant admins: who works cases in the web queue (account managers read)."""

    message = gettext_lazy("Only the desk's agents can do this.")

    def has_permission(self, request, view) -> bool:
        return super().has_permission(request, view) and request.user.role in CASE_WORKERS


class IsContactOrCaseWorker(IsTenantMember):
    def has_permission(self, request, view) -> bool:
        user = request.user
        return super().has_permission(request, view) and (
            user.is_contact or user.role in CASE_WORKERS
        )


@contextmanager
def service_errors():
    """Services say "no" with ValidationError (400, with details) or PermissionError (403)."""
    with django_errors_as_api():
        try:
            yield
        except PermissionError as exc:
            raise PermissionDenied(_("Only the desk's agents can do this.")) from exc


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices)
    severity = django_filters.CharFilter(field_name="severity__key", help_text="Severity key.")
    organization = django_filters.NumberFilter(field_name="organization_id")
    assignee = django_filters.CharFilter(
        method="filter_assignee", help_text='A user id, "me" or "none" (unassigned).'
    )
    q = django_filters.CharFilter(
        method="filter_q", help_text="Case number, or words in the subject or description."
    )

    class Meta:
        model = Case
        fields = ["status", "severity", "organization", "assignee", "q"]

    def filter_assignee(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == "me":
            return queryset.filter(assignee=self.request.user)
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if value.isdigit():
            return queryset.filter(assignee_id=int(value))
        raise ValidationError({"assignee": _('Give a user id, "me" or "none".')})

    def filter_q(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return selectors.case_search(queryset, value)


CASE_RESPONSES = {
    200: CaseSerializer,
    400: OpenApiResponse(description="The desk refused: details per field."),
    403: OpenApiResponse(description="Not allowed for this user (e.g. a contact)."),
    404: OpenApiResponse(description="No such case visible to this user."),
}


class CaseViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Support cases, by case number.

    Staff see their tenant's cases; a contact sees its organisation's. Contacts
    calling a staff action get 403; a case the user cannot see answers 404.
    """

    model = Case
    lookup_field = "number"
    filterset_class = CaseFilter
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_permissions(self):
        if self.action in STAFF_ACTIONS:
            return [IsCaseWorker()]
        if self.action in SHARED_WRITES and self.request.method == "POST":
            return [IsContactOrCaseWorker()]
        return [IsTenantMember()]

    def scoped_queryset(self, user) -> QuerySet[Case]:
        return (
            selectors.case_list(actor=user)
            .prefetch_related(Prefetch("clocks", SlaClock.objects.order_by("metric")))
            .order_by("-filed_at", "-pk")
        )

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # The list's query filters never narrow the lookup of one case by its number.
        return super().filter_queryset(queryset) if self.action == "list" else queryset

    def get_serializer_class(self):
        return CaseListSerializer if self.action == "list" else CaseSerializer

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "now": timezone.now()}

    def _input(self, serializer_class):
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _case_response(self, case: Case, code: int = status.HTTP_200_OK) -> Response:
        return Response(CaseSerializer(case, context=self.get_serializer_context()).data, code)

    @extend_schema(
        request=CaseFileSerializer,
        responses={201: CaseSerializer, **{k: CASE_RESPONSES[k] for k in (400, 403)}},
    )
    def create(self, request):
        """File a case (JSON, or multipart with `attachments` files).

        The answer's `status` is "returned" where the contract lets only trained
        administrators file and the case went back to the organisation's administrators.
        """
        data = dict(self._input(CaseFileSerializer))
        user = request.user
        if user.is_desk_staff:
            requester = data.pop("requester")
            contact = getattr(requester, "contact", None)
            if contact is None:
                raise ValidationError({"requester": _("This user is not a customer contact.")})
            organization = contact.organization
            data.setdefault("channel", Channel.API)
        else:
            requester = data.pop("requester", user)
            contact = getattr(user, "contact", None)
            if contact is None:
                raise PermissionDenied(_("Only a customer's contacts and the desk file cases."))
            organization = contact.organization
            data["channel"] = Channel.API
        with service_errors():
            case = services.case_file(
                actor=user, organization=organization, requester=requester, **data
            )
        return self._case_response(case, status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={200: CaseEventSerializer(many=True), 404: CASE_RESPONSES[404]},
        description="The case timeline, oldest first; contacts see the public events only.",
    )
    @extend_schema(
        methods=["POST"],
        request=CaseReplySerializer,
        responses={201: CaseEventSerializer, **{k: CASE_RESPONSES[k] for k in (400, 403, 404)}},
        description="Reply (staff: `public: false` writes an internal note). A contact's "
        "answer to a case awaiting the customer resumes its clocks.",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filterset_class=None)
    def events(self, request, number=None):
        case = self.get_object()
        if request.method == "GET":
            events = selectors.timeline(case=case, actor=request.user)
            return Response(CaseEventSerializer(events, many=True).data)
        data = self._input(CaseReplySerializer)
        if not data["public"] and not request.user.is_desk_staff:
            raise PermissionDenied(_("Only the desk's agents write internal notes."))
        with service_errors():
            event = services.case_reply(
                case=case,
                actor=request.user,
                body=data["body"],
                public=data["public"],
                attachments=data["attachments"],
            )
        return Response(CaseEventSerializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=CaseTransitionSerializer, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"])
    def transition(self, request, number=None):
        """Move the case to another status (staff); the answer names a refused move."""
        case = self.get_object()
        data = self._input(CaseTransitionSerializer)
        with service_errors():
            case = services.case_transition(
                case=case, to=data["status"], actor=request.user, reason=data["reason"]
            )
        return self._case_response(case)

    @extend_schema(request=CaseAssignSerializer, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"])
    def assign(self, request, number=None):
        """Give the case to an agent (`"me"` for oneself, null for nobody); staff only."""
        case = self.get_object()
        data = self._input(CaseAssignSerializer)
        with service_errors():
            case = services.case_assign(case=case, assignee=data["assignee"], actor=request.user)
        return self._case_response(case)

    @extend_schema(request=CaseReclassifySerializer, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"])
    def reclassify(self, request, number=None):
        """Change the severity with a reason the customer sees; the SLA clocks follow."""
        case = self.get_object()
        data = self._input(CaseReclassifySerializer)
        with service_errors():
            case = services.case_reclassify(
                case=case, severity=data["severity"], reason=data["reason"], actor=request.user
            )
        return self._case_response(case)

    @extend_schema(request=CaseReopenSerializer, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"])
    def reopen(self, request, number=None):
        """Reopen a resolved case with new information (the organisation's contacts, staff)."""
        case = self.get_object()
        data = self._input(CaseReopenSerializer)
        with service_errors():
            case = services.case_reopen(
                case=case, actor=request.user, body=data["body"], attachments=data["attachments"]
            )
        return self._case_response(case)

    @extend_schema(request=CaseEscalateSerializer, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"])
    def escalate(self, request, number=None):
        """Escalate the case: staff, or a contact whose plan includes escalation."""
        case = self.get_object()
        data = self._input(CaseEscalateSerializer)
        with service_errors():
            case = services.case_escalate(case=case, actor=request.user, reason=data["reason"])
        return self._case_response(case)

    @extend_schema(request=CaseForwardSerializer, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"])
    def forward(self, request, number=None):
        """Hand the fault to another vendor, with its reference and time horizon (staff)."""
        case = self.get_object()
        data = self._input(CaseForwardSerializer)
        with service_errors():
            case = services.case_forward(case=case, actor=request.user, **data)
        return self._case_response(case)

    @extend_schema(request=EscalationReferenceSerializer, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"], url_path="escalation-reference")
    def escalation_reference(self, request, number=None):
        """Record the platform vendor's reference of one of the case's escalations (staff)."""
        case = self.get_object()
        data = self._input(EscalationReferenceSerializer)
        escalation = get_object_or_404(escalation_list(case=case), pk=data["escalation"])
        with service_errors():
            escalation_set_reference(
                escalation=escalation, actor=request.user, reference=data["reference"]
            )
        return self._case_response(case)

    @extend_schema(request=None, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"], url_path="task-force")
    def task_force(self, request, number=None):
        """Record that the escalation's task force is assembled: its clock stops (staff)."""
        case = self.get_object()
        with service_errors():
            task_force_assembled(case=case, actor=request.user)
        case.refresh_from_db()
        return self._case_response(case)

    @extend_schema(request=None, responses=CASE_RESPONSES)
    @action(detail=True, methods=["post"])
    def submit(self, request, number=None):
        """A trained administrator sends a case returned to the organisation to the desk."""
        case = self.get_object()
        with service_errors():
            case = services.case_submit_returned(case=case, actor=request.user)
        return self._case_response(case)

    @extend_schema(
        responses={200: ClockDetailSerializer(many=True), 404: CASE_RESPONSES[404]},
    )
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None)
    def clocks(self, request, number=None):
        """The case's SLA clocks: state, target, instants, time left and why they are due then."""
        case = self.get_object()
        views = selectors.clock_views(case=case)
        return Response(ClockDetailSerializer(views, many=True).data)


def register(router) -> None:
    """Add the case endpoints to the project's API router."""
    router.register("cases", CaseViewSet, basename="case")
    from tickets.api import inbound as api_inbound  # inbound e-mail and its quarantine (issue 6.2)

    api_inbound.register(router)
    from tickets.api import (
        notifications as api_notifications,  # the notification endpoints (issue 6.1)
    )

    api_notifications.register(router)
    from tickets.api import surveys as api_surveys  # the survey endpoints (issue 6.5)

    api_surveys.register(router)
