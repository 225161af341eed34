"""Running the bot as a service: configuration from the environment (:mod:`.config`), exit statuses,
log safety, the SQLite store, health files and reloading content while running."""
