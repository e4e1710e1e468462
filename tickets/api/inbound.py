"""Inbound e-mail over HTTP, and the quarantine for tenant admins.

- `POST /api/v1/inbound/email/`: the mail relay delivers one message, authenticated with an
  intake token of kind "email" (`Authorization: Bearer <token>`), which names the tenant.
  Body: the raw message (`Content-Type: message/rfc822`), or multipart with the field
  `message`. Answers 201 with what became of it (200 for a duplicate), 400 for an empty
  body, 401 for a bad token, 413 above the size limit (the message is still kept in
  quarantine), 429 when the relay exceeds the "inbound" rate.
- `/api/v1/inbound/messages/`: tenant admins list and read received mail and review the
  quarantine (assign, attach, discard); another tenant's message answers 404.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from plans.models import CustomerOrganization
from supportdesk.api.mixins import ScopedQuerysetMixin, django_errors_as_api
from supportdesk.api.permissions import IsTenantAdmin
from tickets.inbound import services as inbound
from tickets.models import (
    Case,
    InboundMessage,
    InboundReason,
    InboundSource,
    InboundStatus,
    IntakeToken,
)

# --- the relay's endpoint ------------------------------------------------------------------


class IntakeTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <intake token of kind "email">`; the token fixes the tenant."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None
        if len(header) != 2:
            raise AuthenticationFailed(_("Give exactly one token after Bearer."))
        token = IntakeToken.authenticate(header[1].decode("latin-1"), kind="email")
        if token is None:
            raise AuthenticationFailed(_("Unknown or inactive intake token."))
        return AnonymousUser(), token

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="inbound-email"'


class IntakeTokenScheme(OpenApiAuthenticationExtension):
    target_class = IntakeTokenAuthentication
    name = "intakeToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "An e-mail intake token."}


class HasEmailIntakeToken(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, IntakeToken)


class InboundThrottle(ScopedRateThrottle):
    """The "inbound" rate, counted per intake token (one relay may front many addresses)."""

    def get_cache_key(self, request, view):
        if isinstance(request.auth, IntakeToken):
            return self.cache_format % {"scope": self.scope, "ident": f"token-{request.auth.pk}"}
        return super().get_cache_key(request, view)


class RawMessageParser(BaseParser):
    """Declares the raw body types; the view reads the stream itself (no size cap of Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE on the message)."""

    media_type = "message/rfc822"

    def parse(self, stream, media_type=None, parser_context=None):  # pragma: no cover
        return {}


# Plain strings with their values listed: "status"/"reason" enums would collide in the schema.
_STATUS_HELP = "One of: " + ", ".join(InboundStatus.values) + "."
_REASON_HELP = "Empty, or one of: " + ", ".join(v for v in InboundReason.values if v) + "."


class InboundResultSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=["comment", "reopened", "case", "quarantined", "duplicate"]
    )
    id = serializers.IntegerField()
    status = serializers.CharField(help_text=_STATUS_HELP)
    reason = serializers.CharField(allow_blank=True, help_text=_REASON_HELP)
    detail = serializers.CharField()
    case = serializers.CharField(allow_null=True)
    sender = serializers.CharField(source="from")
    subject = serializers.CharField()
    message_id = serializers.CharField()
    is_auto_reply = serializers.BooleanField()
    is_bounce = serializers.BooleanField()
    is_bulk = serializers.BooleanField()
    attachment_count = serializers.IntegerField()


class InboundEmailViewSet(viewsets.ViewSet):
    """The mail relay's door: one message per request."""

    authentication_classes = [IntakeTokenAuthentication]
    permission_classes = [HasEmailIntakeToken]
    throttle_classes = [InboundThrottle]
    throttle_scope = "inbound"
    parser_classes = [RawMessageParser, MultiPartParser]

    def _read(self, request) -> tuple[bytes, int]:
        django_request = request._request
        content_type = (django_request.content_type or "").lower()
        declared = int(django_request.META.get("CONTENT_LENGTH") or 0)
        if content_type.startswith("multipart/"):
            upload = request.FILES.get("message")
            if upload is not None:
                return upload.read(inbound.KEEP_WHOLE_BYTES + 1), upload.size
            text = request.data.get("message") or ""
            raw = text.encode("utf-8", "surrogateescape") if isinstance(text, str) else b""
            return raw, len(raw)
        raw = django_request.read(inbound.KEEP_WHOLE_BYTES + 1)
        return raw, max(declared, len(raw))

    @extend_schema(
        request={"message/rfc822": {"type": "string", "format": "binary"}},
        responses={
            201: InboundResultSerializer,
            200: OpenApiResponse(InboundResultSerializer, description="A duplicate."),
            400: OpenApiResponse(description="Empty body."),
            401: OpenApiResponse(description="Missing or bad intake token."),
            413: OpenApiResponse(InboundResultSerializer, description="Too large; kept."),
        },
    )
    def create(self, request):
        """Deliver one RFC 822 message (raw body, or multipart field `message`)."""
        token: IntakeToken = request.auth
        raw, size = self._read(request)
        try:
            result = inbound.inbound_ingest(
                tenant=token.tenant, raw=raw, size=size, source=InboundSource.HTTP
            )
        except DjangoValidationError as exc:
            raise ValidationError({"message": exc.messages}) from exc
        IntakeToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        if size > inbound.MAX_MESSAGE_BYTES:
            code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        elif result.duplicate:
            code = status.HTTP_200_OK
        else:
            code = status.HTTP_201_CREATED
        return Response(result.as_dict(), status=code)


# --- the quarantine, for tenant admins -----------------------------------------------------


class InboundMessageSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text=_STATUS_HELP)
    reason = serializers.CharField(read_only=True, help_text=_REASON_HELP)
    source = serializers.CharField(read_only=True, help_text="command or http.")
    case = serializers.CharField(source="case.number", allow_null=True, read_only=True)
    customer = serializers.CharField(source="organization.name", allow_null=True, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.email", allow_null=True, default=None)

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "received_at",
            "source",
            "status",
            "reason",
            "detail",
            "sender",
            "sender_name",
            "subject",
            "message_id",
            "size",
            "truncated",
            "is_auto_reply",
            "is_bounce",
            "attachment_count",
            "case",
            "customer",
            "reviewed_by",
            "reviewed_at",
        ]
        read_only_fields = fields


class InboundMessageDetailSerializer(InboundMessageSerializer):
    headers = serializers.JSONField(source="summary.headers", default=list)
    body = serializers.CharField(source="summary.body", default="")
    text = serializers.CharField(source="summary.text", default="")
    html = serializers.CharField(source="summary.html", default="")
    files = serializers.JSONField(source="summary.files", default=list)
    classification = serializers.JSONField(source="summary.classification", default=dict)

    class Meta(InboundMessageSerializer.Meta):
        fields = [
            *InboundMessageSerializer.Meta.fields,
            "headers",
            "body",
            "text",
            "html",
            "files",
            "classification",
        ]
        read_only_fields = fields


class _TenantRow(serializers.PrimaryKeyRelatedField):
    """A related row of the requesting admin's tenant; another tenant's is "does not exist"."""

    def get_queryset(self):
        request = self.context.get("request")
        tenant = getattr(getattr(request, "user", None), "tenant", None)
        return self.queryset.model.objects.for_tenant(tenant)


class AssignSerializer(serializers.Serializer):
    organization = _TenantRow(queryset=CustomerOrganization.objects.all())
    email = serializers.EmailField(
        required=False, allow_blank=True, help_text="The sender's address unless given."
    )


class AttachSerializer(serializers.Serializer):
    case = serializers.SlugRelatedField(slug_field="number", queryset=Case.objects.all())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        tenant = getattr(getattr(request, "user", None), "tenant", None)
        self.fields["case"].queryset = Case.objects.for_tenant(tenant)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("status", str, description=_STATUS_HELP),
            OpenApiParameter("reason", str, description=_REASON_HELP),
        ]
    )
)
class InboundMessageViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Received e-mail of the tenant (tenant admins). Filter with `?status=` and `?reason=`."""

    model = InboundMessage
    permission_classes = [IsTenantAdmin]
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    filterset_class = None

    def scoped_queryset(self, user) -> QuerySet[InboundMessage]:
        params = self.request.query_params
        return inbound.inbound_list(
            actor=user, status=params.get("status") or None, reason=params.get("reason") or None
        )

    def get_object(self) -> InboundMessage:
        try:
            return inbound.inbound_get(actor=self.request.user, pk=int(self.kwargs["pk"]))
        except (InboundMessage.DoesNotExist, ValueError) as exc:
            raise NotFound from exc

    def get_serializer_class(self):
        return InboundMessageDetailSerializer if self.action != "list" else InboundMessageSerializer

    def _data(self, serializer_class) -> dict:
        serializer = serializer_class(data=self.request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def _answer(self, message: InboundMessage) -> Response:
        message = inbound.inbound_get(actor=self.request.user, pk=message.pk)
        return Response(InboundMessageDetailSerializer(message).data)

    @extend_schema(request=AssignSerializer, responses=InboundMessageDetailSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """File the message as a case of a customer (its sender becomes a contact if new)."""
        message = self.get_object()
        data = self._data(AssignSerializer)
        with django_errors_as_api():
            inbound.inbound_assign(
                message=message,
                actor=request.user,
                organization=data["organization"],
                email=data.get("email", ""),
            )
        return self._answer(message)

    @extend_schema(request=AttachSerializer, responses=InboundMessageDetailSerializer)
    @action(detail=True, methods=["post"])
    def attach(self, request, pk=None):
        """Add the message to an existing case (a reply from its contact, else a note)."""
        message = self.get_object()
        data = self._data(AttachSerializer)
        with django_errors_as_api():
            inbound.inbound_attach(message=message, actor=request.user, case=data["case"])
        return self._answer(message)

    @extend_schema(request=None, responses=InboundMessageDetailSerializer)
    @action(detail=True, methods=["post"])
    def discard(self, request, pk=None):
        """Set the message aside; it stays stored, marked discarded."""
        message = self.get_object()
        with django_errors_as_api():
            inbound.inbound_discard(message=message, actor=request.user)
        return self._answer(message)

    @extend_schema(responses={(200, "message/rfc822"): OpenApiResponse(description="As received.")})
    @action(detail=True, methods=["get"])
    def raw(self, request, pk=None):
        """The message exactly as received."""
        message = self.get_object()
        response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
        return response


def register(router) -> None:
    router.register("inbound/email", InboundEmailViewSet, basename="inbound-email")
    router.register("inbound/messages", InboundMessageViewSet, basename="inbound-message")
