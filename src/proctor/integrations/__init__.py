"""Enforcement points outside the SDK: the MCP proxy, coding-agent hooks and
agent-framework adapters.

Each integration lives in its own module or package (``proctor.integrations.mcp``,
``proctor.integrations.claude_code``, ``proctor.integrations.langchain``, ...) and
imports its framework only when used.
"""
