"""Credentials: where secrets live (keyring, a 0600 file, or nowhere) and how they are read back.

`store` keeps the password (or API key); OAuth tokens join it here. Credentials never import a
transport: a transport is handed what it needs to sign in.
"""
