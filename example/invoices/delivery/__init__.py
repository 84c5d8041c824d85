"""Deliveries: protocols through which clients reach the use cases (HTTP, gRPC)."""
