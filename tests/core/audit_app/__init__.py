"""A third-party-style app that adds its own ``AXIOMOD["audit"]`` section (test-only)."""
