"""Glue's JSON 1.1 API over gluelab's services: protocol, SigV4 auth, dispatcher, HTTP server."""
