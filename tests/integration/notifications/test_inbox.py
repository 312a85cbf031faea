"""The staff inbox: each staff member reads only their own notifications (paged, newest
first, with the unread count); marking another's notification read is 404 and changes
nothing; read-all marks only one's own."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from urbanops.cases.models import Case, CaseEvent
from urbanops.cases.workflow import CaseStatus
from urbanops.notifications.models import Notification
from urbanops.notifications.service import notify_case_event

from ...factories import HUMEN, case_in_status
from ..conftest import NOW, Staff, token


def notify_all(session: Session, *cases: Case) -> None:
    """Run the notification job of every event of `cases` (as the worker would)."""
    events = select(CaseEvent.id).where(CaseEvent.case_id.in_([c.id for c in cases]))
    for event_id in session.scalars(events.order_by(CaseEvent.id)):
        notify_case_event(session, event_id, now=NOW)
    session.flush()


def unread_of(session: Session, user_id: int | None) -> int:
    return len(
        session.scalars(
            select(Notification.id).where(
                Notification.recipient_kind == "user",
                Notification.recipient_id == user_id,
                Notification.read_at.is_(None),
            )
        ).all()
    )


def test_each_handler_reads_their_own_inbox(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    mine = [case_in_status(session, CaseStatus.dispatched, now=NOW) for _ in range(3)]
    theirs = case_in_status(session, CaseStatus.dispatched, now=NOW, where=HUMEN)
    notify_all(session, *mine, theirs)
    dongcheng = token(client, "t_dongcheng")
    r = client.get("/api/v1/inbox", params={"page_size": 2}, headers=dongcheng)
    assert r.status_code == 200, r.text
    page = r.json()
    assert (page["total"], page["unread"], len(page["items"])) == (3, 3, 2)
    assert [i["case_number"] for i in page["items"]] == [mine[2].number, mine[1].number]
    assert all(i["read"] is False and "派遣" in i["title"] for i in page["items"])
    rest = client.get("/api/v1/inbox", params={"page": 2, "page_size": 2}, headers=dongcheng)
    assert [i["case_number"] for i in rest.json()["items"]] == [mine[0].number]
    humen = client.get("/api/v1/inbox", headers=token(client, "t_humen")).json()
    assert [i["case_number"] for i in humen["items"]] == [theirs.number]


def test_reading_one_and_all_touches_only_ones_own(
    session: Session, client: TestClient, staff: dict[str, Staff]
) -> None:
    cases = [case_in_status(session, CaseStatus.dispatched, now=NOW) for _ in range(2)]
    cases.append(case_in_status(session, CaseStatus.dispatched, now=NOW, where=HUMEN))
    notify_all(session, *cases)
    dongcheng, humen = token(client, "t_dongcheng"), token(client, "t_humen")
    first = client.get("/api/v1/inbox", headers=dongcheng).json()["items"][0]
    r = client.post(f"/api/v1/inbox/{first['id']}/read", headers=dongcheng)
    assert r.status_code == 204, r.text
    page = client.get("/api/v1/inbox", headers=dongcheng).json()
    assert page["unread"] == 1 and page["items"][0]["read"] is True
    unread = client.get("/api/v1/inbox", params={"unread": "true"}, headers=dongcheng).json()
    assert [i["id"] for i in unread["items"]] == [page["items"][1]["id"]]

    # 虎门's handler cannot touch 东城's notification: 404, still unread
    other = page["items"][1]["id"]
    r = client.post(f"/api/v1/inbox/{other}/read", headers={**humen, "Accept-Language": "zh-CN"})
    assert r.status_code == 404 and r.json()["code"] == "notification_not_found", r.text
    assert "不存在" in r.json()["detail"]
    session.expire_all()
    assert session.get(Notification, other).read_at is None  # type: ignore[union-attr]
    assert client.post("/api/v1/inbox/999999999/read", headers=humen).status_code == 404

    r = client.post("/api/v1/inbox/read-all", headers=humen)
    assert r.status_code == 200 and r.json() == {"marked": 1}
    session.expire_all()
    assert unread_of(session, staff["humen"].actor.id) == 0
    assert unread_of(session, staff["dongcheng"].actor.id) == 1  # 东城's untouched


def test_the_inbox_needs_a_signed_in_staff_member(client: TestClient) -> None:
    assert client.get("/api/v1/inbox").status_code == 401
    assert client.post("/api/v1/inbox/read-all").status_code == 401


def test_a_staff_member_sets_where_they_are_reached(
    client: TestClient, staff: dict[str, Staff]
) -> None:
    me = token(client, "t_leader")
    assert client.get("/api/v1/me/contact", headers=me).json() == {
        "phone": None,
        "wecom_userid": None,
    }
    r = client.put(
        "/api/v1/me/contact", json={"phone": "13800001111", "wecom_userid": "LiJu"}, headers=me
    )
    assert r.status_code == 200 and r.json() == {"phone": "13800001111", "wecom_userid": "LiJu"}
    bad = client.put("/api/v1/me/contact", json={"phone": "12345"}, headers=me)
    assert bad.status_code == 422, bad.text
    assert client.get("/api/v1/me/contact", headers=me).json()["phone"] == "13800001111"
