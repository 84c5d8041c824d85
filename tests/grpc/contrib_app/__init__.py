"""A third-party app contributing a gRPC interceptor, without any axiomod base class."""
