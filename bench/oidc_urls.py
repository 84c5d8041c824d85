"""URLs of the ``oidc`` benchmark: one DRF view behind each bearer-token authentication.

The views are identical (JSON renderer only, ``IsAuthenticated``, a one-key body); only
``authentication_classes`` differs, plus a view with no authentication at all (the floor).
"""

from django.urls import path
from mozilla_django_oidc.contrib.drf import OIDCAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from axiomod_auth.drf import BearerTokenAuthentication
from axiomod_auth.users import sync_user


class SyncUserBearerTokenAuthentication(BearerTokenAuthentication):
    """axiomod's DRF class with the user looked up in the database, as
    ``AXIOMOD["oidc"]["user_mapper"] = "axiomod_auth.users.sync_user"`` does.

    A subclass rather than the setting, so that both axiomod variants run in one process
    against one provider cache. It builds the default ``TokenUser`` first and then calls
    ``sync_user`` (one ``SELECT``): a few microseconds more than the setting would cost.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        claims = result[1]
        return sync_user(claims), claims


class _Me(APIView):
    renderer_classes = [JSONRenderer]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": str(request.user)})


class Open(_Me):
    authentication_classes: list = []
    permission_classes = [AllowAny]


class AxiomodMe(_Me):
    authentication_classes = [BearerTokenAuthentication]


class AxiomodSyncUserMe(_Me):
    authentication_classes = [SyncUserBearerTokenAuthentication]


class MozillaMe(_Me):
    authentication_classes = [OIDCAuthentication]


urlpatterns = [
    path("open", Open.as_view()),
    path("axiomod", AxiomodMe.as_view()),
    path("axiomod-sync-user", AxiomodSyncUserMe.as_view()),
    path("mozilla", MozillaMe.as_view()),
]
