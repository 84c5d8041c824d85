"""URLs the auth tests call: axiomod's endpoints plus a protected DRF and a plain view."""

from django.http import JsonResponse
from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from axiomod_auth.bearer import bearer_token_required
from axiomod_auth.drf import BearerTokenAuthentication


class Me(APIView):
    authentication_classes = [BearerTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": str(request.user), "sub": request.auth["sub"]})


@bearer_token_required
def plain_me(request):
    return JsonResponse({"user": str(request.user), "sub": request.token_claims["sub"]})


@bearer_token_required
async def async_me(request):
    return JsonResponse({"user": str(request.user)})


def home(request):
    user = request.user
    return JsonResponse({"user": user.get_username() if user.is_authenticated else None})


urlpatterns = [
    path("", include("axiomod.urls")),
    path("api/me", Me.as_view()),
    path("plain/me", plain_me),
    path("async/me", async_me),
    path("home", home),
]
