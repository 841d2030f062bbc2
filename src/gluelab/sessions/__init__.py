"""Interactive Spark sessions (the development endpoint): one REPL process per session, driven through
Glue's interactive-sessions API and through Livy's REST API."""
