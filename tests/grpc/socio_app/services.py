"""A django-socio-grpc service raising axiomod's domain errors."""

from __future__ import annotations

from django_socio_grpc import generics
from django_socio_grpc.decorators import grpc_action
from rest_framework.exceptions import ValidationError

from axiomod import errors


class GreeterService(generics.GenericService):
    @grpc_action(
        request=[{"name": "name", "type": "string"}],
        response=[{"name": "message", "type": "string"}],
    )
    async def Hello(self, request, context):  # noqa: N802  (gRPC's name)
        from tests.grpc.socio_app.grpc.socio_app_pb2 import GreeterHelloResponse

        if request.name == "missing":
            raise errors.NotFound("nobody called missing")
        if request.name == "invalid":
            raise ValidationError({"name": ["not a name"]})  # DRF's, as serializers raise
        if request.name == "boom":
            raise RuntimeError("secret internal detail")
        return GreeterHelloResponse(message=f"hello {request.name}")
