"""What the classifier learns from the triage queue (`suggest.clerk_decisions`): a referred
triage case's text labelled `out:<channel>`, a clerk-accepted one labelled with its matter
(whatever the model suspected); nothing from an automatic dispatch, from a report that came
with its matter, or from a case voided or merged away.

Intake's reading of each text is fixed here (`reports.service.read`), so that which case goes
to triage and which is dispatched does not depend on the model of the day.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from urbanops.cases import verbs
from urbanops.cases.models import Case
from urbanops.reports import service as intake_service
from urbanops.reports import suggest
from urbanops.reports.suggest import Reading, Suggestion

from ...factories import report_case
from ..conftest import NOW, Staff, token

GARBAGE = Suggestion("06042", "暴露垃圾", 0.97)
TRIAGE = Reading([GARBAGE], 0.9, None, False)
SUSPECTED = Reading([GARBAGE], 0.08, "hrss", False)
AUTOMATIC = Reading([GARBAGE], 0.99, None, True)

Report = Callable[[str, Reading], Case]


@pytest.fixture
def reported(session: Session, monkeypatch: pytest.MonkeyPatch) -> Report:
    """A report of `text` through intake, read as `reading` says, with no matter given."""

    def report(text: str, reading: Reading) -> Case:
        monkeypatch.setattr(intake_service, "read", lambda *a, **kw: reading)
        return report_case(session, now=NOW, matter_code=None, description=text).case

    return report


def decisions(session: Session) -> dict[str, list[str]]:
    session.flush()
    out: dict[str, list[str]] = {}
    for text, label in suggest.clerk_decisions(session):
        out.setdefault(text, []).append(label)
    return out


def test_a_referred_triage_case_teaches_its_channel(
    session: Session, client: TestClient, staff: dict[str, Staff], reported: Report
) -> None:
    case = reported("公司拖欠三个月工资不发，社保也断缴了（转办测试）", SUSPECTED)
    assert (case.status, case.suspected_channel) == ("reported", "hrss")
    r = client.post(
        f"/api/v1/cases/{case.id}/actions/refer",
        json={"channel": "hrss"},
        headers=token(client, staff["clerk"].username),
    )
    assert r.status_code == 200, r.text
    assert decisions(session)[case.description] == ["out:hrss"]


def test_the_channel_a_clerk_chose_is_learnt_not_the_one_suspected(
    session: Session, staff: dict[str, Staff], reported: Report
) -> None:
    case = reported("楼盘延期交房，开发商不给说法（转办测试）", SUSPECTED)
    verbs.refer_case(
        session, actor=staff["chief"].actor, now=NOW, case_id=case.id, channel="housing"
    )
    assert decisions(session)[case.description] == ["out:housing"]


def test_a_clerk_accepted_triage_case_teaches_its_matter(
    session: Session, client: TestClient, staff: dict[str, Staff], reported: Report
) -> None:
    clerk = token(client, staff["clerk"].username)
    chosen = reported("小区门口垃圾堆了好几天没人清（受理测试）", TRIAGE)
    overridden = reported("工地门口的垃圾，别当成工资问题（受理测试）", SUSPECTED)
    for case, matter in ((chosen, "06042"), (overridden, "06010")):
        assert case.status == "reported"
        r = client.post(
            f"/api/v1/cases/{case.id}/actions/accept", json={"matter_code": matter}, headers=clerk
        )
        assert r.status_code == 200, r.text
    found = decisions(session)
    assert found[chosen.description] == ["06042"]
    assert found[overridden.description] == ["06010"]


def test_a_case_still_in_triage_teaches_nothing_yet(session: Session, reported: Report) -> None:
    waiting = reported("路灯不亮（待受理测试）", TRIAGE)
    suspected = reported("工资没发（待受理测试）", SUSPECTED)
    found = decisions(session)
    assert waiting.description not in found and suspected.description not in found


def test_an_automatic_dispatch_teaches_nothing(session: Session, reported: Report) -> None:
    case = reported("垃圾桶满了溢出来（自动派遣测试）", AUTOMATIC)
    assert case.status == "dispatched" and case.matter_code == "06042"
    assert case.description not in decisions(session)


def test_a_report_that_came_with_its_matter_teaches_nothing(
    session: Session, staff: dict[str, Staff]
) -> None:
    text = "垃圾满地（带事项的上报测试）"
    case = report_case(session, now=NOW, matter_code="06042", description=text).case
    assert case.status == "dispatched"
    # returned by the unit and referred by a clerk: its report still named the matter
    verbs.return_case(
        session, actor=staff["dongcheng"].actor, now=NOW, case_id=case.id, reason="不属本单位"
    )
    verbs.refer_case(session, actor=staff["clerk"].actor, now=NOW, case_id=case.id, channel="other")
    assert text not in decisions(session)


def test_a_voided_or_merged_triage_case_teaches_nothing(
    session: Session, staff: dict[str, Staff], reported: Report
) -> None:
    clerk = staff["clerk"].actor
    voided = reported("乱七八糟的一条（作废测试）", TRIAGE)
    verbs.accept_case(session, actor=clerk, now=NOW, case_id=voided.id, matter_code="06042")
    verbs.void_case(session, actor=clerk, now=NOW, case_id=voided.id, reason="重复上报")
    target = report_case(session, now=NOW, matter_code="06042").case
    merged = reported("同一堆垃圾又报了一次（并案测试）", TRIAGE)
    verbs.accept_case(session, actor=clerk, now=NOW, case_id=merged.id, matter_code="06042")
    verbs.merge_case(session, actor=clerk, now=NOW, case_id=merged.id, into_case_id=target.id)
    found = decisions(session)
    assert voided.description not in found and merged.description not in found
