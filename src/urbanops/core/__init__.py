"""Shared infrastructure: settings, database and embedded server, errors, clock, jobs, security,
storage, geo (areas index, datum conversion), the working calendar and i18n."""
