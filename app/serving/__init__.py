"""What lives across requests while serving: the models served (the registry), the thread
that keeps each at its promoted version, and the profiles' examples kept in memory."""
