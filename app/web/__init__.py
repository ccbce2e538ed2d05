"""The HTTP service around app.core: the app factory, routes, protocol codecs, middleware, metrics."""
