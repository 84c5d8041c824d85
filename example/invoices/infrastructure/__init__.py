"""Infrastructure: the adapters that implement the inner layers' ports with real technology."""
