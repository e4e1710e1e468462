from drf_spectacular.utils import extend_schema
from rest_framework import generics, permissions, status
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from .serializers import MeSerializer, TokenRequestSerializer, TokenSerializer


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
