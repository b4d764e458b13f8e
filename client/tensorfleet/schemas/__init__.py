"""The API's request and response shapes, shared by the server and the client.

Only pydantic and the standard library may be imported here: the client installs without the
server's dependencies, and `tests/client/test_standalone.py` fails if a server module loads.
"""
