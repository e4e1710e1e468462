from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, mixins, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from supportdesk import selectors
from supportdesk.api.mixins import ScopedQuerysetMixin, django_errors_as_api
from supportdesk.api.permissions import IsCaseWorkerOrReadOnly
from supportdesk.api.serializers import (
    DutySerializer,
    DutyUpdateSerializer,
    MeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from supportdesk.models import User
from supportdesk.services import user_duty_set


class MeView(generics.RetrieveUpdateAPIView):
    """The signed-in user with tenant, role and (for contacts) organisation."""

    serializer_class = MeSerializer

    def get_object(self):
        return self.request.user


class TokenView(APIView):
    """Exchange e-mail and password for an API token (rate limited)."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [AnonRateThrottle]
    authentication_classes: list = []

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        if user.tenant_id is None:
            return Response(
                {"detail": "Platform operators have no API access."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


DUTY_UPDATE_SCHEMA = {
    "type": "object",
    "properties": {
        "on_duty": {
            "type": "boolean",
            "description": "true: on duty (receives SLA breach alerts); false: off duty.",
        }
    },
    "required": ["on_duty"],
}


class DutyViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Who is on duty: the tenant's active agents and tenant admins, by name.

    On-duty users receive the SLA breach alerts of every case and the warnings on
    unassigned ones. Agents switch their own duty, tenant admins anyone's (PATCH);
    account managers and contacts get 403 for any change. Another tenant's user, or
    a user who works no cases, answers 404.
    """

    model = User
    serializer_class = DutySerializer
    permission_classes = [IsCaseWorkerOrReadOnly]
    lookup_url_kwarg = "user_id"

    def scoped_queryset(self, user):
        if self.request.method in SAFE_METHODS:
            return selectors.duty_roster(actor=user)
        # Deactivated colleagues too, so the service can say why one cannot go on duty.
        return selectors.case_worker_list(actor=user)

    @extend_schema(
        # Written out: drf-spectacular documents every PATCH body as all-optional, but
        # leaving `on_duty` out is a 400 here, never a silent "off duty".
        request={"application/json": DUTY_UPDATE_SCHEMA},
        responses={
            200: DutySerializer,
            400: OpenApiResponse(description="Bad input, or the user is deactivated."),
            403: OpenApiResponse(description="Not allowed to change this user's duty."),
            404: OpenApiResponse(description="No such case worker in your tenant."),
        },
    )
    def partial_update(self, request, *args, **kwargs):
        """Put a case worker on or off duty: `{"on_duty": true}`. Repeating it is harmless."""
        user = self.get_object()
        payload = DutyUpdateSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        with django_errors_as_api():
            user_duty_set(user=user, actor=request.user, on_duty=payload.validated_data["on_duty"])
        return Response(DutySerializer(user).data)
