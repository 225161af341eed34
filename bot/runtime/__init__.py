"""Running the bot as a service: configuration from the environment (:mod:`.config`), exit statuses,
log safety, the SQLite store, the data folder's lock (:mod:`.lock`), health files and reloading content
while running."""
