"""Serializers of the case API: shapes in and out, no business rules (those are services)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from plans.models import CaseType, ProductVersion, SeverityLevel
from sla.models import ClockState, SlaClock
from supportdesk.api.mixins import request_tenant
from supportdesk.models import Role, User
from tickets.cases.selectors import clock_display_state
from tickets.escalations.selectors import escalation_list, task_force_clock
from tickets.models import Attachment, Case, CaseEvent, CaseStatus, Channel

# What the API calls a clock's state: the stored state, or for a running clock past its
# warning or breach instant the derived "warning" / "overdue" (`clock_display_state`).
CLOCK_STATES = [
    *ClockState.choices,
    ("warning", _("Running, warning reached")),
    ("overdue", _("Running, past the breach instant")),
]
STAFF_CHANNELS = (Channel.PHONE, Channel.EMAIL, Channel.API)


# --- Reading -----------------------------------------------------------------------------------


class CaseClockSerializer(serializers.Serializer):
    """A clock in a case row: read from the prefetched clocks, no query per case."""

    metric = serializers.CharField()
    state = serializers.ChoiceField(choices=CLOCK_STATES)
    due_at = serializers.DateTimeField(allow_null=True)
    breach_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, clock: SlaClock) -> dict:
        now = self.context.get("now") or timezone.now()
        return {
            "metric": clock.metric,
            "state": clock_display_state(clock, now),
            "due_at": self.fields["due_at"].to_representation(clock.due_at),
            "breach_at": self.fields["breach_at"].to_representation(clock.breach_at),
        }


class CaseListSerializer(serializers.ModelSerializer):
    severity = serializers.CharField(source="severity.key", read_only=True)
    customer = serializers.CharField(source="organization.name", read_only=True)
    assignee_name = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField()

    class Meta:
        model = Case
        fields = [
            "number",
            "subject",
            "status",
            "severity",
            "organization",
            "customer",
            "assignee",
            "assignee_name",
            "filed_at",
            "escalated_at",
            "clocks",
        ]
        read_only_fields = fields

    def get_assignee_name(self, case: Case) -> str | None:
        return str(case.assignee) if case.assignee_id else None

    @extend_schema_field(CaseClockSerializer(many=True))
    def get_clocks(self, case: Case) -> list[dict]:
        clocks = sorted(case.clocks.all(), key=lambda clock: clock.metric)
        return CaseClockSerializer(clocks, many=True, context=self.context).data


class EscalationSerializer(serializers.Serializer):
    """One escalation of the case: what the plan set in motion, and the task force's due."""

    id = serializers.IntegerField()
    level = serializers.IntegerField()
    trigger = serializers.CharField()
    actions = serializers.ListField(child=serializers.CharField())
    reason = serializers.CharField()
    external_vendor = serializers.CharField()
    external_reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    task_force_due_at = serializers.DateTimeField(allow_null=True)
    task_force_state = serializers.CharField(allow_null=True)

    def to_representation(self, escalation) -> dict:
        clock = self.context.get("task_force_clock") if escalation.opens_task_force else None
        return {
            "id": escalation.pk,
            "level": escalation.level,
            "trigger": escalation.trigger,
            "actions": list(escalation.actions),
            "reason": escalation.reason,
            "external_vendor": escalation.external_vendor,
            "external_reference": escalation.external_reference,
            "created_at": self.fields["created_at"].to_representation(escalation.created_at),
            "task_force_due_at": self.fields["created_at"].to_representation(clock.due_at)
            if clock is not None and clock.due_at
            else None,
            "task_force_state": clock.state if clock is not None else None,
        }


class CaseSerializer(CaseListSerializer):
    requester_name = serializers.SerializerMethodField()
    escalations = serializers.SerializerMethodField()
    case_type = serializers.CharField(source="case_type.key", read_only=True, allow_null=True)
    product_version = serializers.CharField(
        source="product_version.name", read_only=True, allow_null=True
    )

    class Meta(CaseListSerializer.Meta):
        fields = [
            *CaseListSerializer.Meta.fields,
            "requester",
            "requester_name",
            "case_type",
            "description",
            "product_version",
            "deployment",
            "event_name",
            "affected_users",
            "steps_tried",
            "customer_reference",
            "channel",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "external_vendor",
            "external_reference",
            "external_horizon",
            "escalations",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_requester_name(self, case: Case) -> str:
        return str(case.requester)

    @extend_schema_field(EscalationSerializer(many=True))
    def get_escalations(self, case: Case) -> list[dict]:
        context = {**self.context, "task_force_clock": task_force_clock(case=case)}
        return EscalationSerializer(escalation_list(case=case), many=True, context=context).data


class AttachmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "created_at"]
        read_only_fields = fields


class CaseEventSerializer(serializers.ModelSerializer):
    # Plain text, not an enum: the schema already has a "kind" enum (case types).
    kind = serializers.CharField(read_only=True, help_text=_("created, reply, note, status, …"))
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    actor_name = serializers.SerializerMethodField()
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta:
        model = CaseEvent
        fields = [
            "id",
            "kind",
            "kind_label",
            "public",
            "actor",
            "actor_name",
            "body",
            "data",
            "attachments",
            "created_at",
        ]
        read_only_fields = fields

    def get_actor_name(self, event: CaseEvent) -> str | None:
        return str(event.actor) if event.actor_id else None


class ClockDetailSerializer(serializers.Serializer):
    """One clock with its target, instants, business time left and its due time in words."""

    metric = serializers.CharField(source="clock.metric")
    state = serializers.ChoiceField(choices=CLOCK_STATES)
    target_value = serializers.DecimalField(
        source="clock.target_value", max_digits=8, decimal_places=2
    )
    target_unit = serializers.CharField(source="clock.target_unit")
    target_seconds = serializers.IntegerField(source="clock.target_seconds")
    calendar = serializers.CharField(source="clock.calendar.key", allow_null=True, default=None)
    source = serializers.CharField(source="clock.source")
    started_at = serializers.DateTimeField(source="clock.started_at")
    due_at = serializers.DateTimeField(source="clock.due_at", allow_null=True)
    breach_at = serializers.DateTimeField(source="clock.breach_at", allow_null=True)
    warn_at = serializers.DateTimeField(source="clock.warn_at", allow_null=True)
    stopped_at = serializers.DateTimeField(source="clock.stopped_at", allow_null=True)
    remaining_seconds = serializers.SerializerMethodField(
        help_text=_("Business time left; negative once past due; null when stopped.")
    )
    explanation = serializers.CharField()

    def get_remaining_seconds(self, view) -> int | None:
        return None if view.remaining is None else int(view.remaining.total_seconds())


# --- Writing -----------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "format": "binary"})
class UploadField(serializers.FileField):
    """An uploaded file (multipart); documented as binary, not as a URL."""


class TenantScopedFieldsMixin:
    """Related fields whose choices are the requesting user's tenant's rows only."""

    scoped: dict[str, Callable[[Any], QuerySet]] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tenant = request_tenant(self)
        for name, queryset in self.scoped.items():
            self.fields[name].queryset = queryset(tenant)


class CaseFileSerializer(TenantScopedFieldsMixin, serializers.Serializer):
    """Filing a case. Contacts file for themselves; staff name the contact (`requester`)
    and may give the channel and the instant the SLA starts (`filed_at`, the call time).

    The contract's required fields are checked by the desk and all named at once."""

    scoped = {
        "requester": lambda tenant: (
            User.objects.for_tenant(tenant)
            .filter(role=Role.CONTACT)
            .select_related("contact__organization")
        ),
        "severity": lambda tenant: SeverityLevel.objects.for_tenant(tenant),
        "case_type": lambda tenant: CaseType.objects.for_tenant(tenant),
        "product_version": lambda tenant: ProductVersion.objects.for_tenant(tenant),
    }

    requester = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(),
        required=False,
        help_text=_("Staff only: the contact the case is filed for."),
    )
    severity = serializers.SlugRelatedField(
        slug_field="key", queryset=SeverityLevel.objects.none(), default=None, allow_null=True
    )
    case_type = serializers.SlugRelatedField(
        slug_field="key", queryset=CaseType.objects.none(), default=None, allow_null=True
    )
    product_version = serializers.PrimaryKeyRelatedField(
        queryset=ProductVersion.objects.none(), default=None, allow_null=True
    )
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")
    deployment = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    event_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    affected_users = serializers.CharField(required=False, allow_blank=True, default="")
    steps_tried = serializers.CharField(required=False, allow_blank=True, default="")
    customer_reference = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text=_("Staff only: phone, email or api (default api)."),
    )
    filed_at = serializers.DateTimeField(
        required=False,
        help_text=_("Staff only: when the customer called or wrote; not in the future."),
    )
    attachments = serializers.ListField(child=UploadField(), required=False, default=list)

    def validate(self, attrs: dict) -> dict:
        user = self.context["request"].user
        if user.is_desk_staff:
            if attrs.get("requester") is None:
                raise serializers.ValidationError(
                    {"requester": _("Name the contact the case is filed for.")}
                )
            if attrs.get("channel", Channel.API) not in STAFF_CHANNELS:
                raise serializers.ValidationError(
                    {"channel": _("Staff file cases by phone, e-mail or the API.")}
                )
        return attrs


class CaseReplySerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True)
    public = serializers.BooleanField(
        default=True, help_text=_("Staff only: false writes an internal note.")
    )
    attachments = serializers.ListField(child=UploadField(), required=False, default=list)


class CaseTransitionSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=CaseStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class CaseAssignSerializer(serializers.Serializer):
    assignee = serializers.CharField(
        allow_null=True,
        help_text=_('A staff user id, "me", or null to take the case off everyone.'),
    )

    def validate_assignee(self, value: str | None) -> User | None:
        if value is None:
            return None
        request = self.context["request"]
        if value == "me":
            return request.user
        user = None
        if value.isdigit():
            user = User.objects.for_tenant(request.user.tenant).filter(pk=int(value)).first()
        if user is None:
            raise serializers.ValidationError(_("No such user at your desk."))
        return user


class CaseReclassifySerializer(TenantScopedFieldsMixin, serializers.Serializer):
    scoped = {"severity": lambda tenant: SeverityLevel.objects.for_tenant(tenant)}

    severity = serializers.SlugRelatedField(slug_field="key", queryset=SeverityLevel.objects.none())
    reason = serializers.CharField(allow_blank=True)


class CaseReopenSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, help_text=_("What is new."))
    attachments = serializers.ListField(child=UploadField(), required=False, default=list)


class CaseEscalateSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)


class EscalationReferenceSerializer(serializers.Serializer):
    escalation = serializers.IntegerField()
    reference = serializers.CharField(max_length=200, allow_blank=True)


class CaseForwardSerializer(serializers.Serializer):
    vendor = serializers.CharField(max_length=200, allow_blank=True)
    reference = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    horizon = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
