"""Events: webhooks told what happened (signed, retried deliveries on the queue) and live
updates of jobs (Redis pub/sub).

Anything that happens calls `emit_event(redis, db, event, data)` (app/events/emit.py) once;
it records one delivery per webhook subscribed to the event and queues it. docs/events.md
lists the events and their payloads.
"""

from app.events.emit import emit_event

__all__ = ["emit_event"]
