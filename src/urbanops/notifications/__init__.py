"""Notifications: the citizens' and the staff's in-app inboxes, SMS and enterprise WeChat
ports, and the unit managers' daily digest; written by jobs, sent after commit."""
