"""Administration: the working calendar's import, review and publication (CLI, API and page)."""
