"""``GET /me``: who the bearer token says the caller is (the example of a protected view)."""

from django.http import HttpRequest, JsonResponse

from axiomod_auth import bearer_token_required


@bearer_token_required
def me(request: HttpRequest) -> JsonResponse:
    claims = request.token_claims
    return JsonResponse({"sub": claims["sub"], "scope": claims.get("scope", "")})
