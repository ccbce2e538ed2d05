"""Where what people teach is kept: the examples and corrections of each profile, in
SQLite (embedded, the default) or PostgreSQL, through SQLAlchemy, its tables made by
Alembic's migrations. Web-free: the routes call it, the core never does."""
