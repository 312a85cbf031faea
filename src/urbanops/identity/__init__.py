"""Users, roles and permissions, staff login, citizen phone login, API keys."""
