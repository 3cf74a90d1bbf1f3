"""Enforcement points that put other programs' tools behind Proctor (the MCP proxy)."""
