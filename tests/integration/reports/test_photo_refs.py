"""Photo references are this platform's photo ids (or allow-listed https links), checked where
they come in and derived into safe URLs wherever they are shown."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests import factories
from urbanops.cases import verbs
from urbanops.cases.models import Case, CaseEvent
from urbanops.core.db import Base
from urbanops.core.errors import InvalidInput
from urbanops.core.settings import get_settings
from urbanops.identity import citizens
from urbanops.identity.models import Citizen
from urbanops.identity.roles import SYSTEM
from urbanops.identity.service import create_api_key
from urbanops.reports.models import Photo, Report
from urbanops.reports.photos import store_photo
from urbanops.reports.schemas import ReportIn
from urbanops.reports.service import submit_report

from ..conftest import NOW, Staff, token

HUMEN = (22.8191, 113.6968)
EVIL = ["javascript:alert(1)", "http://evil/x.jpg", "https://evil.example/x.jpg", "0" * 32]


def jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (120, 90), (30, 90, 160)).save(buf, "JPEG")
    return buf.getvalue()


def citizen(session: Session, phone: str) -> tuple[Citizen, dict[str, str]]:
    person = Citizen(phone=phone, nickname=f"市民{phone[-4:]}", created_at=NOW)
    session.add(person)
    session.flush()
    raw = factories.citizen_token(session, person.id)
    session.commit()
    return person, {"X-Citizen-Token": raw}


def in_progress_case(session: Session, staff: dict[str, Staff]) -> Case:
    data = ReportIn(lat=HUMEN[0], lon=HUMEN[1], matter_code="06042")
    case = submit_report(
        session, actor=SYSTEM, now=NOW, data=data, source="api", check_duplicates=False
    ).case
    verbs.start_case(session, actor=staff["humen"].actor, now=NOW, case_id=case.id)
    session.commit()  # a refused request rolls back to here
    return case


def events(session: Session, case_id: int) -> int:
    return session.scalar(select(func.count(CaseEvent.id)).where(CaseEvent.case_id == case_id)) or 0


def upload(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.post(
        "/api/v1/photos", files={"photo": ("a.jpg", jpeg(), "image/jpeg")}, headers=headers
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_staff_and_api_clients_upload_photos(client: TestClient, staff: dict[str, Staff]) -> None:
    mine = upload(client, token(client, "t_humen"))
    assert set(mine) == {"id", "url", "thumb_url", "width", "height"}
    assert mine["url"] == f"/media/{mine['id']}.jpg"
    assert mine["thumb_url"] == f"/media/{mine['id']}_t.jpg"
    assert client.get(mine["url"]).status_code == 200


def test_api_key_upload_and_anonymous_refused(client: TestClient, session: Session) -> None:
    key = create_api_key(session, "photos test")[1]
    before = count(session, Photo)
    assert upload(client, {"X-API-Key": key})["id"]
    r = client.post("/api/v1/photos", files={"photo": ("a.jpg", jpeg(), "image/jpeg")})
    assert r.status_code == 401
    assert count(session, Photo) == before + 1


@pytest.mark.parametrize("bad", EVIL)
def test_staff_verbs_refuse_anything_but_a_photo_id(
    client: TestClient, session: Session, staff: dict[str, Staff], bad: str
) -> None:
    case = in_progress_case(session, staff)
    before = events(session, case.id)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/submit_result",
        json={"note": "已清运", "photos": [bad]},
        headers=token(client, "t_humen"),
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["field"] == "photos" and body["code"] in ("invalid_photo_ref", "unknown_photo")
    session.refresh(case)
    assert case.status == "in_progress" and events(session, case.id) == before


def test_long_strings_are_refused_before_the_service(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    case = in_progress_case(session, staff)
    before = events(session, case.id)
    url = f"/api/v1/cases/{case.id}/actions/submit_result"
    h = token(client, "t_humen")
    r = client.post(url, json={"note": "x", "photos": ["a" * 100_000]}, headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "photos.0"
    r = client.post(url, json={"note": "x", "photos": ["a" * 5_000_000]}, headers=h)
    assert r.status_code == 413 and r.json()["code"] == "body_too_large"
    # and the service refuses it too, for callers other than the API
    with pytest.raises(InvalidInput) as err:
        verbs.submit_result(
            session, actor=staff["humen"].actor, now=NOW, case_id=case.id, note="x",
            photos=["a" * 5_000_000],
        )  # fmt: skip
    assert err.value.extra["field"] == "photos"
    assert events(session, case.id) == before


def test_a_real_id_is_kept_and_shown_as_a_media_url(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    case = in_progress_case(session, staff)
    h = token(client, "t_humen")
    photo = upload(client, h)
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/submit_result",
        json={"note": "已清运", "photos": [photo["id"]]},
        headers=h,
    )
    assert r.status_code == 200, r.text
    assert r.json()["timeline"][-1]["attachments"] == [f"/media/{photo['id']}.jpg"]
    stored = session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id.desc())
    ).first()
    assert stored is not None and stored.attachments == [photo["id"]]  # the id, not a URL


def test_a_citizen_may_attach_only_their_own_photo(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    owner, _ = citizen(session, "13900000001")
    other, other_h = citizen(session, "13900000002")
    theirs = store_photo(session, jpeg(), now=NOW, citizen_id=owner.id)
    mine = store_photo(session, jpeg(), now=NOW, citizen_id=other.id)
    data = ReportIn(lat=HUMEN[0], lon=HUMEN[1], matter_code="06042")
    case = submit_report(
        session, actor=citizens.citizen_actor(other), now=NOW, data=data, source="citizen",
        citizen_id=other.id, check_duplicates=False,
    ).case  # fmt: skip
    actor = staff["humen"].actor
    verbs.start_case(session, actor=actor, now=NOW, case_id=case.id)
    verbs.submit_result(session, actor=actor, now=NOW, case_id=case.id, note="已清运")
    verbs.verify_case(session, actor=staff["inspector"].actor, now=NOW, case_id=case.id)
    session.flush()
    before = events(session, case.id)
    now = datetime.now(UTC)
    case.closed_at = now - timedelta(hours=1)
    session.commit()
    url = f"/api/v1/citizen/cases/{case.id}/dispute"
    for ids in ([theirs.id], ["javascript:alert(1)"], ["0" * 32]):
        r = client.post(url, json={"reason": "没修好", "photo_ids": ids}, headers=other_h)
        assert r.status_code == 422 and r.json()["code"] == "unknown_photo", r.text
        assert events(session, case.id) == before
    r = client.post(url, json={"reason": "没修好", "photo_ids": [mine.id]}, headers=other_h)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["timeline"][-1]["photos"] == [f"/media/{mine.id}.jpg"]
    # a citizen actor in the service itself: someone else's photo is refused there too
    with pytest.raises(InvalidInput):
        verbs.rework_case(
            session, actor=citizens.citizen_actor(other), now=NOW, case_id=case.id,
            reason="x", photos=[theirs.id],
        )  # fmt: skip


def count(session: Session, model: type[Base]) -> int:
    """Rows of `model` now: other tests (the browser's) may have committed some before."""
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("bad", EVIL)
def test_report_media_from_the_api_is_checked(
    client: TestClient, session: Session, staff: dict[str, Staff], bad: str
) -> None:
    key = create_api_key(session, "media test")[1]
    before = count(session, Report)
    body = {"lat": HUMEN[0], "lon": HUMEN[1], "matter_code": "06042", "media": [bad]}
    r = client.post("/api/v1/reports", json=body, headers={"X-API-Key": key})
    assert r.status_code == 422 and r.json()["field"] == "media", r.text
    assert count(session, Report) == before


def test_report_media_ids_become_media_urls(
    client: TestClient, session: Session, staff: dict[str, Staff], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings().intake, "media_url_origins", ["https://img.example.org"])
    key = create_api_key(session, "media test")[1]
    photo = upload(client, {"X-API-Key": key})
    link = "https://img.example.org/a/b.jpg?x=1"
    body = {"lat": HUMEN[0], "lon": HUMEN[1], "matter_code": "06042", "media": [photo["id"], link]}
    r = client.post("/api/v1/reports", json=body, headers={"X-API-Key": key})
    assert r.status_code == 201, r.text
    report = session.get(Report, r.json()["report_id"])
    assert report is not None and report.media == [photo["url"], link]
    shown = client.get(
        f"/api/v1/cases/{r.json()['case_id']}/reports", headers=token(client, "t_chief")
    )
    assert shown.json()[0]["media"] == [photo["url"], link]


@pytest.mark.parametrize(
    "bad",
    [
        "javascript:alert(1)",
        "http://img.example.org/x.jpg",  # allow-listed host, but not https
        "https://evil.example/x.jpg",
        "https://user:pw@img.example.org/x.jpg",
        "https://img.example.org.evil.example/x.jpg",
        "https://img.example.org/" + "a" * 2048,
        "0" * 32,
    ],
)
def test_open311_media_url_must_be_ours_or_allow_listed(
    client: TestClient, session: Session, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    monkeypatch.setattr(get_settings().intake, "media_url_origins", ["https://img.example.org"])
    key = create_api_key(session, "o311 media")[1]
    before = count(session, Report)
    r = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "06042", "lat": HUMEN[0], "long": HUMEN[1],
              "media_url": bad},
    )  # fmt: skip
    assert r.status_code == 400, r.text
    assert "media_url" in r.json()[0]["description"]
    assert count(session, Report) == before


def test_open311_takes_an_uploaded_photo_and_shows_its_url(
    client: TestClient, session: Session
) -> None:
    key = create_api_key(session, "o311 media")[1]
    photo = upload(client, {"X-API-Key": key})
    r = client.post(
        "/open311/v2/requests.json",
        data={"api_key": key, "service_code": "06042", "lat": HUMEN[0], "long": HUMEN[1],
              "media_url": photo["url"]},
    )  # fmt: skip
    assert r.status_code == 200, r.text
    number = r.json()[0]["service_request_id"]
    shown = client.get(f"/open311/v2/requests/{number}.json").json()[0]
    assert shown["media_url"] == f"http://testserver/media/{photo['id']}.jpg"


def test_links_stored_before_the_checks_are_not_shown(
    client: TestClient, session: Session, staff: dict[str, Staff]
) -> None:
    case = in_progress_case(session, staff)
    report = session.scalars(select(Report).where(Report.case_id == case.id)).one()
    report.media = ["javascript:alert(1)", "/media/../../etc/passwd", "http://evil/x.jpg"]
    session.add(
        CaseEvent(
            case_id=case.id, at=NOW, action="submit_result", from_status="in_progress",
            to_status="awaiting_verification", actor_kind="staff", actor_label="x", note="x",
            data={}, attachments=["javascript:alert(1)", {"url": "javascript:x"}], public=True,
        )
    )  # fmt: skip
    session.commit()
    h = token(client, "t_chief")
    detail = client.get(f"/api/v1/cases/{case.id}", headers=h).json()
    assert all(e["attachments"] == [] for e in detail["timeline"])
    assert client.get(f"/api/v1/cases/{case.id}/reports", headers=h).json()[0]["media"] == []
    shown = client.get(f"/open311/v2/requests/{case.number}.json").json()[0]
    assert shown["media_url"] is None
