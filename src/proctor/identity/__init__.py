"""Who is calling: admin API keys now; agent credentials build on this."""

from proctor.identity._admin_keys import AdminKey, AdminKeys

__all__ = ["AdminKey", "AdminKeys"]
