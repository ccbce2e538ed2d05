"""Pure ASGI middleware, one job each and cheap per request: the body's size and time
limits, the security and cache headers, and the access log with the metrics."""
