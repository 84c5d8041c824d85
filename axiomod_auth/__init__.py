"""OpenID Connect for axiomod services: cached discovery and JWKS, login, bearer tokens.

Configured by ``AXIOMOD["oidc"]`` (:class:`axiomod_auth.conf.OidcSettings`).
Needs the ``auth`` extra.
"""
