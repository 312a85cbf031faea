"""Notifications about cases (in-app inbox, SMS through a port), created by jobs after commit."""
