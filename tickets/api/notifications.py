"""REST endpoints for the signed-in user's notifications and notification choices.

`/api/v1/notifications/`: the user's in-app notifications, newest first (`?unread=1`),
`POST {id}/read/`, `POST read-all/`. `/api/v1/notification-preferences/`: one entry per
kind the user receives (no stored choice means on), `PUT`/`PATCH {kind}/`.
Nobody else's notification is reachable: it answers 404.
"""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from supportdesk.api.mixins import ScopedQuerysetMixin, django_errors_as_api
from tickets.models import Notification, NotificationPreference
from tickets.notifications import links, preferences, selectors
from tickets.notifications import services as service

NOT_FOUND = OpenApiResponse(description="No such notification (or kind) for this user.")


class NotificationSerializer(serializers.ModelSerializer):
    case = serializers.CharField(
        source="case.number", read_only=True, allow_null=True, default=None,
        help_text="The case number, if the notification is about a case.",
    )  # fmt: skip
    url = serializers.SerializerMethodField(help_text="Absolute link to the page it is about.")
    is_read = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "case",
            "subject",
            "body",
            "url",
            "created_at",
            "read_at",
            "is_read",
            "email_status",
            "emailed_at",
        ]
        read_only_fields = fields

    def get_url(self, notification: Notification) -> str:
        return links.absolute_url(notification.link)


class NotificationFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(
        method="filter_unread",
        widget=django_filters.widgets.BooleanWidget(),
        help_text="1/true: only unread notifications; 0/false: only read ones.",
    )

    class Meta:
        model = Notification
        fields = ["unread", "kind"]

    def filter_unread(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(read_at__isnull=value)


class NotificationViewSet(
    ScopedQuerysetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The signed-in user's notifications, newest first."""

    model = Notification
    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter

    def scoped_queryset(self, user) -> QuerySet[Notification]:
        return selectors.notification_list(user=user)

    @extend_schema(request=None, responses={200: NotificationSerializer, 404: NOT_FOUND})
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None):
        """Mark one notification as read (again: no change)."""
        notification = service.notification_mark_read(
            notification=self.get_object(), user=request.user
        )
        return Response(self.get_serializer(notification).data)

    @extend_schema(
        request=None,
        responses={
            200: inline_serializer(
                "NotificationsMarkedRead", {"marked": serializers.IntegerField()}
            )
        },
    )
    @action(detail=False, methods=["post"], url_path="read-all", filterset_class=None)
    def read_all(self, request):
        """Mark all of the user's notifications as read; answers how many were unread."""
        return Response({"marked": service.notification_mark_all_read(user=request.user)})


class NotificationPreferenceSerializer(serializers.Serializer):
    # Plain text: the kinds are enumerated once, on Notification.kind, so the schema's enum
    # keeps one name.
    kind = serializers.CharField(
        read_only=True, help_text="A notification kind, as in Notification.kind."
    )
    label = serializers.CharField(read_only=True)
    email = serializers.BooleanField(required=True)
    in_app = serializers.BooleanField(required=True)


class NotificationPreferenceViewSet(viewsets.GenericViewSet):
    """What the user hears of, per kind: by e-mail and/or in the app's list.

    Only the kinds the user receives are listed; without a stored choice both are on.
    """

    serializer_class = NotificationPreferenceSerializer
    queryset = NotificationPreference.objects.none()  # for the schema; rows are per user
    lookup_field = "kind"
    lookup_value_regex = "[a-z_]+"
    pagination_class = None
    filter_backends: list = []

    def _get(self, kind: str):
        try:
            return preferences.preference_get(user=self.request.user, kind=kind)
        except NotificationPreference.DoesNotExist:
            raise NotFound from None

    @extend_schema(responses=NotificationPreferenceSerializer(many=True))
    def list(self, request):
        prefs = preferences.preference_list(user=request.user)
        return Response(self.get_serializer(prefs, many=True).data)

    @extend_schema(responses={200: NotificationPreferenceSerializer, 404: NOT_FOUND})
    def retrieve(self, request, kind=None):
        return Response(self.get_serializer(self._get(kind)).data)

    def _save(self, request, kind: str, *, partial: bool) -> Response:
        self._get(kind)
        serializer = self.get_serializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with django_errors_as_api():
            pref = preferences.notification_preference_set(
                user=request.user,
                kind=kind,
                email=serializer.validated_data.get("email"),
                in_app=serializer.validated_data.get("in_app"),
            )
        return Response(self.get_serializer(pref).data, status=status.HTTP_200_OK)

    @extend_schema(
        responses={
            200: NotificationPreferenceSerializer,
            400: OpenApiResponse(description="Bad input: details per field."),
            404: NOT_FOUND,
        }
    )
    def update(self, request, kind=None):
        """Set both choices for one kind."""
        return self._save(request, kind, partial=False)

    @extend_schema(
        responses={
            200: NotificationPreferenceSerializer,
            400: OpenApiResponse(description="Bad input: details per field."),
            404: NOT_FOUND,
        }
    )
    def partial_update(self, request, kind=None):
        """Change one or both choices for one kind."""
        return self._save(request, kind, partial=True)


def register(router) -> None:
    router.register("notifications", NotificationViewSet, basename="notification")
    router.register(
        "notification-preferences",
        NotificationPreferenceViewSet,
        basename="notification-preference",
    )
