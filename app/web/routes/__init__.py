"""The routes, grouped by what they serve: reading images, the service itself, the pages."""
