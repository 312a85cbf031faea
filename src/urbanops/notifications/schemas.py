"""Notification API shapes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class NotificationOut(BaseModel):
    id: int
    case_id: int | None
    title: str
    body: str
    created_at: datetime
    read: bool
