"""The monitoring webhook: `POST /api/v1/monitoring/alerts/` (Pector, Vivant).

A customer's monitoring system sends one JSON alert per call with
`Authorization: Bearer <token>`, a monitoring intake token that names the customer
whose outage cases it files (`manage.py monitoring_token`). Answers:

- 201 an outage case was opened; 200 the alert repeated, was resolved, or the call is a
  replay of an earlier delivery (`"replayed": true`, the first result, nothing changed);
- 400 with details per field: bad or unknown fields, a time in the future, a severity the
  desk does not have, a token without a customer, a customer without contacts;
- 401 unknown or inactive token; 409 a delivery id re-used for another alert or status;
  429 too many calls for the token (the "inbound" rate, per token).

Unknown fields are refused, each named, so that a typo ("sumary") never silently drops
what the sender meant to say. Alert keys and delivery ids count per customer (two
customers may both watch "webshop-order-import"). An `occurred_at` up to 60 s ahead of
the desk's clock is taken as now. Logic lives in `tickets.monitoring`.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib.auth.models import AnonymousUser
from django.urls import path
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from plans.selectors import severity_list
from supportdesk.api.mixins import django_errors_as_api
from tickets.models import AlertStatus, DeliveryOutcome, IntakeKind, IntakeToken
from tickets.monitoring import selectors as monitoring_selectors
from tickets.monitoring import services as monitoring

# --- who is calling ---------------------------------------------------------------------------


class MonitoringTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <token>` with an active monitoring intake token."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if len(parts) != 2 or parts[0].lower() != self.keyword:
            raise AuthenticationFailed(
                _("Send the monitoring token as “Authorization: Bearer <token>”.")
            )
        try:
            raw = parts[1].decode()
        except UnicodeError:
            raw = ""
        token = IntakeToken.authenticate(raw, kind=IntakeKind.MONITORING)
        if token is None:
            raise AuthenticationFailed(_("Unknown or inactive monitoring token."))
        return AnonymousUser(), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="monitoring"'


class HasMonitoringToken(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, IntakeToken)


class MonitoringThrottle(SimpleRateThrottle):
    """The "inbound" rate of the settings, counted per token (per address without one)."""

    scope = "inbound"
    cache_format = "throttle_monitoring_%(ident)s"

    def get_cache_key(self, request, view) -> str:
        token = request.auth
        ident = f"token-{token.pk}" if isinstance(token, IntakeToken) else self.get_ident(request)
        return self.cache_format % {"ident": ident}


class MonitoringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "tickets.api.monitoring.MonitoringTokenAuthentication"
    name = "monitoringToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A monitoring intake token (manage.py monitoring_token).",
        }


# --- what is sent -----------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with a UTC offset; a time without one is ambiguous and refused."""

    default_error_messages = {
        "naive": gettext_lazy(
            "Give the time with its UTC offset, e.g. 2026-03-10T09:00:00+01:00 or …Z."
        ),
    }

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
            if parsed is not None and timezone.is_naive(parsed):
                self.fail("naive")
        return super().to_internal_value(value)


def _one_of(values) -> dict:
    """A string schema naming its values without an OpenAPI enum: fields called "status"
    already name other enums, and the schema must generate without naming collisions."""
    return {
        "type": "string",
        "pattern": "^(" + "|".join(values) + ")$",
        "description": " | ".join(values),
    }


@extend_schema_field(_one_of(AlertStatus.values))
class AlertStatusField(serializers.ChoiceField):
    """ "firing" or "resolved"."""

    def __init__(self, **kwargs):
        super().__init__(choices=AlertStatus.choices, **kwargs)


@extend_schema_field(_one_of(DeliveryOutcome.values))
class OutcomeField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=DeliveryOutcome.choices, **kwargs)


class AlertSerializer(serializers.Serializer):
    """One alert. `delivery_id` identifies this call (a retry sends the same id);
    `alert_key` identifies the monitored problem (e.g. "webshop-order-import")."""

    delivery_id = serializers.CharField(max_length=100)
    alert_key = serializers.CharField(max_length=200)
    status = AlertStatusField()
    summary = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="One line; required when the alert fires (it becomes the case subject).",
    )
    details = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    severity = serializers.CharField(
        max_length=20,
        required=False,
        allow_null=True,
        default=None,
        help_text="A severity key of the desk; default: the contract's monitoring severity, "
        "else the most severe level.",
    )
    occurred_at = AwareDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the problem began (ISO 8601 with offset); the SLA starts then. "
        "Default: when the call arrives. Not in the future.",
    )

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, Mapping) else []
        errors: dict = {}
        value = None
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            errors = dict(exc.detail)
        allowed = ", ".join(self.fields)
        for name in unknown:
            errors[str(name)[:100]] = [
                _("Unknown field. An alert has these fields: %(fields)s.") % {"fields": allowed}
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return value

    def validate_severity(self, value):
        if value in (None, ""):
            return None
        levels = list(severity_list(tenant=self.context["tenant"]))
        level = next((s for s in levels if s.key == value), None)
        if level is None:
            raise serializers.ValidationError(
                _("Unknown severity “%(key)s”. This desk has: %(keys)s.")
                % {"key": value, "keys": ", ".join(s.key for s in levels) or "—"}
            )
        return level

    def validate(self, attrs: dict) -> dict:
        if attrs["status"] == AlertStatus.FIRING and not attrs["summary"].strip():
            raise serializers.ValidationError(
                {"summary": _("A firing alert needs a summary: it becomes the case subject.")}
            )
        return attrs

    def alert(self, payload: dict) -> monitoring.AlertInput:
        return monitoring.AlertInput(**self.validated_data, payload=dict(payload))


AlertResultSerializer = inline_serializer(
    name="MonitoringAlertResult",
    fields={
        "delivery_id": serializers.CharField(),
        "alert_key": serializers.CharField(),
        "status": AlertStatusField(),
        "outcome": OutcomeField(),
        "case": serializers.CharField(allow_null=True, help_text="The case number."),
        "replayed": serializers.BooleanField(),
    },
)


def _result(result: monitoring.AlertResult) -> dict:
    delivery = result.delivery
    return {
        "delivery_id": delivery.delivery_id,
        "alert_key": delivery.alert_key,
        "status": delivery.status,
        "outcome": delivery.outcome,
        "case": delivery.case.number if delivery.case_id else None,
        "replayed": result.replayed,
    }


class MonitoringAlertView(APIView):
    """Receive one alert from a customer's monitoring system (`Authorization: Bearer <token>`).

    The first firing of an `alert_key` files an outage case for the token's customer, its
    SLA starting at `occurred_at` (201); further firings while the case is open add an
    internal note, and `"status": "resolved"` adds a note and closes the alert (200).
    Re-sending a `delivery_id` returns its first result with `"replayed": true` and
    changes nothing. Unknown fields are refused by name (400), so typos never pass
    silently. Rate limited per token (429).
    """

    authentication_classes = [MonitoringTokenAuthentication]
    permission_classes = [HasMonitoringToken]
    throttle_classes = [MonitoringThrottle]
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="monitoring_alert_receive",
        request=AlertSerializer,
        responses={
            201: AlertResultSerializer,
            200: AlertResultSerializer,
            400: OpenApiResponse(description="Refused: details per field."),
            401: OpenApiResponse(description="Unknown or inactive token."),
            409: OpenApiResponse(description="The delivery id was used for another alert."),
            429: OpenApiResponse(description="Too many calls for this token."),
        },
    )
    def post(self, request):
        token: IntakeToken = request.auth
        with django_errors_as_api():
            monitoring_selectors.token_customer(token=token)
        serializer = AlertSerializer(data=request.data, context={"tenant": token.tenant})
        serializer.is_valid(raise_exception=True)
        try:
            with django_errors_as_api():
                result = monitoring.alert_receive(
                    token=token, alert=serializer.alert(payload=request.data)
                )
        except monitoring.DeliveryConflict as exc:
            return Response(
                {
                    "delivery_id": [
                        _(
                            "This delivery id was used for alert “%(key)s” (%(status)s); "
                            "give every new alert its own delivery id."
                        )
                        % {"key": exc.delivery.alert_key, "status": exc.delivery.status}
                    ]
                },
                status=status.HTTP_409_CONFLICT,
            )
        opened = result.delivery.outcome == DeliveryOutcome.CASE_OPENED
        code = status.HTTP_201_CREATED if opened and not result.replayed else status.HTTP_200_OK
        return Response(_result(result), status=code)


# Mounted at /api/v1/monitoring/ by supportdesk/urls.py.
urlpatterns = [
    path("alerts/", MonitoringAlertView.as_view(), name="api-monitoring-alerts"),
]
