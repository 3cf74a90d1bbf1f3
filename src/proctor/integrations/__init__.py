"""Enforcement points outside the SDK: coding-agent hooks and agent-framework adapters.

Each integration lives in its own module or package (``proctor.integrations.langchain``,
``proctor.integrations.claude_code``, ...) and imports its framework only when used.
"""
