"""API keys with scopes, per-key rate limits and the request body limit.

`keys` stores hashed keys in MongoDB, `guard` checks a request's key, scope and rate,
`deps` holds the route dependencies (`requires(Scope.read)`, ...), `body` the size limit.
"""
