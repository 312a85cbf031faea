"""Intake that knows its remit, in the console: a case the classifier took for another
channel's matter waits in triage marked 「疑似非城管事项」; the clerk refers it there with the
channel's reply (or accepts it as usual); an admin edits the channels; the classifier panel
states how much is dispatched without a clerk. The suspected cases are made here (their
`in_remit` and `suspected_channel` set on a triage case), not left to the model's reading."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import sessionmaker

from tests.browser.conftest import PASSWORD
from tests.browser.test_console import bearer, open_case, sign_in, staff
from tests.factories import DONGCHENG, discard_case, report_case
from urbanops.cases.workflow import REGISTRY, STATUSES, CaseAction, CaseStatus
from urbanops.catalogue import channels as channel_service
from urbanops.catalogue.models import Channel
from urbanops.core.clock import utcnow
from urbanops.identity.roles import SYSTEM, Role

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/remit-shots")
BADGE = "疑似非城管事项"
TRIAGE = str(CaseStatus.reported)  # the status suspected cases wait in


def percent(p: float) -> str:
    """A share as the console writes it: a percentage to one decimal, none when it is whole."""
    tenths = math.floor(p * 1000 + 0.5) / 10
    return f"{tenths:.1f}".removesuffix(".0") + "%"


def shot(page: Page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def console(browser: Browser, live_server: str) -> Iterator[Page]:
    page = browser.new_page(
        viewport={"width": 1366, "height": 860}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture
def suspected(engine: Engine) -> Iterator[Any]:
    """`make(channel, in_remit, text)`: a committed triage case the classifier is taken to have
    read as `channel`'s matter (None: as urban management, the matter unknown); its number and
    id. Discarded afterwards."""
    maker = sessionmaker(engine)
    made: list[int] = []

    def make(channel: str | None, in_remit: float, text: str) -> tuple[str, int]:
        # a place of its own in 东城, so that no other test's report joins the case
        where = (
            DONGCHENG[0] + random.uniform(-4e-3, 4e-3),
            DONGCHENG[1] + random.uniform(-4e-3, 4e-3),
        )
        with maker.begin() as s:
            case = report_case(s, now=utcnow(), where=where, matter_code=None).case
            assert case.status == CaseStatus.reported
            case.description = text
            case.in_remit = in_remit
            case.suspected_channel = channel
            s.flush()
            made.append(case.id)
            return case.number, case.id

    yield make
    with maker.begin() as s:
        discard_case(s, *made, now=utcnow())


class Clerk(NamedTuple):
    username: str
    auth: dict[str, str]


@pytest.fixture
def clerk(engine: Engine, live_server: str) -> Clerk:
    """A committed intake clerk (受理员) and their bearer header."""
    name = staff(engine, live_server, Role.intake_clerk)
    return Clerk(name, bearer(live_server, name))


@pytest.fixture
def channels(live_server: str, clerk: Clerk) -> dict[str, dict[str, Any]]:
    """The channels as GET /api/v1/channels gives them, by code."""
    r = httpx.get(f"{live_server}/api/v1/channels", headers=clerk.auth)
    assert r.status_code == 200, r.text
    return {c["code"]: c for c in r.json()}


@pytest.fixture
def restore_channels(engine: Engine) -> Iterator[None]:
    """Channels an admin edits in a test are put back as they were afterwards."""
    maker = sessionmaker(engine)
    with maker() as s:
        before = {
            c.code: {f: getattr(c, f) for f in channel_service.EDITABLE}
            for c in s.scalars(select(Channel))
        }
    yield
    with maker.begin() as s:
        for code, values in before.items():
            channel_service.update_channel(s, actor=SYSTEM, code=code, changes=values)


def test_a_suspected_case_is_marked_and_referred_with_the_channels_reply(
    console: Page, live_server: str, clerk: Clerk, suspected: Any, channels: dict[str, Any]
) -> None:
    plain, _ = suspected(None, 0.91, "路边垃圾桶满了没人清")
    other, _ = suspected("market", 0.05, "超市卖过期食品")
    number, case_id = suspected("hrss", 0.083, "公司拖欠工资三个月，老板联系不上")
    hrss, market = channels["hrss"], channels["market"]
    page = console
    sign_in(page, clerk.username)

    # the triage queue: suspected cases are marked with their channel, the others not
    page.select_option("#f-status", TRIAGE)
    page.click("#refresh")
    row = page.locator(f"#rows tr:has-text('{number}')")
    expect(row.locator(".badge.remit")).to_have_text(f"{BADGE} · {hrss['name_zh']}")
    expect(page.locator(f"#rows tr:has-text('{other}') .badge.remit")).to_have_text(
        f"{BADGE} · {market['name_zh']}"
    )
    expect(page.locator(f"#rows tr:has-text('{plain}')")).to_be_visible()
    expect(page.locator(f"#rows tr:has-text('{plain}') .badge.remit")).to_have_count(0)
    shot(page, "triage-queue")
    # the filter keeps the suspected ones alone
    page.check("#f-suspected")
    expect(page.locator(f"#rows tr:has-text('{plain}')")).to_have_count(0)
    expect(row).to_be_visible()
    rows = page.locator("#rows tr")
    expect(rows.locator(".badge.remit")).to_have_count(rows.count())
    shot(page, "triage-queue-suspected")

    page.fill("#f-number", number)
    page.click("#refresh")
    page.click(f"#rows tr:has-text('{number}')")
    expect(page.locator("#detail h3")).to_contain_text(number)
    detail = page.locator("#detail")
    expect(detail.locator("h3 .badge.remit")).to_contain_text(hrss["name_zh"])
    expect(detail.locator("[data-fact=in_remit]")).to_have_text("8.3%")
    expect(detail.locator("[data-fact=suspected_channel]")).to_contain_text(hrss["name_zh"])

    # the referral form is open at the suspected channel with its reply
    refer = REGISTRY[CaseAction.refer]
    form = page.locator("#act-form form[data-form=refer]")
    expect(form.locator("b").first).to_have_text(refer.label_zh)
    select, reply = form.locator("select[name=channel]"), form.locator("textarea[name=reply]")
    expect(select).to_have_value("hrss")
    expect(reply).to_have_value(hrss["reply_zh"])
    active = [c for c in channels.values() if c["is_active"]]
    expect(select.locator("option")).to_have_count(len(active) + 1)  # and the blank one
    # accepting it as urban management stays open to the clerk
    accept = REGISTRY[CaseAction.accept]
    expect(detail.locator("[data-act=accept]")).to_have_text(accept.label_zh)
    expect(detail.locator("[data-act=refer]")).to_have_text(refer.label_zh)
    shot(page, "detail-refer-form")

    # another channel brings its reply, until the clerk writes their own
    select.select_option("market")
    expect(reply).to_have_value(market["reply_zh"])
    reply.fill("请向劳动监察大队反映")
    select.select_option("hrss")
    expect(reply).to_have_value("请向劳动监察大队反映")
    reply.fill(market["reply_zh"])  # back to the text the form put there
    select.select_option("hrss")
    expect(reply).to_have_value(hrss["reply_zh"])

    form.locator("button.primary").click()
    referred = STATUSES[CaseStatus.referred].label_zh
    expect(detail.locator("h3 .badge").first).to_have_text(referred)
    expect(detail.locator("h3 .badge.remit")).to_have_count(0)
    expect(detail.locator("[data-fact=channel]")).to_have_text(hrss["name_zh"])
    expect(detail.locator("[data-fact=reply]")).to_have_text(hrss["reply_zh"])
    expect(detail.locator("ol.tl")).to_contain_text(refer.label_zh)
    expect(detail.locator("#act-form form")).to_have_count(0)
    shot(page, "detail-referred")

    r = httpx.get(
        f"{live_server}/api/v1/cases/{case_id}",
        headers=clerk.auth,
    )
    body = r.json()
    assert (body["status"], body["channel_code"]) == ("referred", "hrss")
    event = next(e for e in body["timeline"] if e["action"] == "refer")
    assert event["data"]["reply"] == hrss["reply_zh"]


def test_the_clerk_overrides_the_model_by_accepting(
    console: Page, live_server: str, clerk: Clerk, suspected: Any, channels: dict[str, Any]
) -> None:
    number, case_id = suspected("housing", 0.31, "小区路灯坏了一个月")
    page = console
    sign_in(page, clerk.username)
    open_case(page, number)
    expect(page.locator("#detail [data-fact=in_remit]")).to_have_text("31%")
    page.click("#detail [data-act=accept]")
    form = page.locator("#act-form form[data-form=accept]")
    form.locator(".matter-q").fill("06042")
    form.locator(".matter-results li[data-code='06042']").click()
    form.locator("button.primary").click()
    accepted = STATUSES[CaseStatus.accepted].label_zh
    detail = page.locator("#detail")
    expect(detail.locator("h3 .badge").first).to_have_text(accepted)
    expect(detail.locator(".badge.remit")).to_have_count(0)
    expect(detail.locator(".remit-note")).to_have_count(0)
    expect(detail.locator("[data-fact=suspected_channel]")).to_contain_text("已按城管事项受理")
    # no longer among the suspected cases
    page.check("#f-suspected")
    page.fill("#f-number", number)
    page.click("#refresh")
    expect(page.locator("#total")).to_have_text("共 0 件")


def test_an_admin_edits_a_channel_and_the_referral_form_offers_it(
    browser: Browser,
    console: Page,
    live_server: str,
    engine: Engine,
    clerk: Clerk,
    suspected: Any,
    restore_channels: None,
) -> None:
    admin = staff(engine, live_server, Role.admin)
    page = browser.new_page(
        viewport={"width": 1280, "height": 900}, base_url=live_server, locale="zh-CN"
    )
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    # the admin area links the page
    page.goto("/admin/calendar")
    page.click(".admin-nav a[href='/admin/channels']")
    page.fill("#u", admin)
    page.fill("#p", PASSWORD)
    page.click("#login button")
    card = page.locator("form[data-channel=justice]")
    expect(card).to_be_visible()
    # a card being written in keeps its words while another is saved
    other = page.locator("form[data-channel=health]")
    other.locator("input[name=name_zh]").fill("  ")
    new_reply = "您反映的法律援助问题已转司法局办理，工作人员将在 3 个工作日内联系您。"
    card.locator("textarea[name=reply_zh]").fill(new_reply)
    card.locator("button").click()
    expect(card.locator(".msg")).to_have_text("已保存。")
    # a channel switched off is no longer offered
    off = page.locator("form[data-channel=education]")
    off.locator("input[name=is_active]").uncheck()
    off.locator("button").click()
    expect(off.locator(".badge")).to_have_text("已停用")
    # a blank name is refused by the server, in its words
    expect(other.locator("input[name=name_zh]")).to_have_value("  ")
    other.locator("button").click()
    expect(other.locator(".msg.bad")).to_contain_text("渠道名称")
    page.reload()
    expect(page.locator("form[data-channel=justice] textarea[name=reply_zh]")).to_have_value(
        new_reply
    )
    shot(page, "admin-channels")
    page.close()
    assert errors == [], f"JavaScript errors: {errors}"

    number, _ = suspected("justice", 0.12, "想咨询离婚财产分割的法律援助")
    sign_in(console, clerk.username)
    open_case(console, number)
    form = console.locator("#act-form form[data-form=refer]")
    expect(form.locator("select[name=channel]")).to_have_value("justice")
    expect(form.locator("textarea[name=reply]")).to_have_value(new_reply)
    expect(form.locator("select[name=channel] option[value=education]")).to_have_count(0)
    expect(form.locator("select[name=channel] option[value=health]")).to_have_count(1)


def test_the_classifier_panel_states_the_gate(
    console: Page, live_server: str, clerk: Clerk
) -> None:
    """The live endpoint's figures, then the three states the panel knows (a gate, none, a
    retrained model refused) from fixed answers."""
    live = httpx.get(
        f"{live_server}/api/v1/classifier",
        headers=clerk.auth,
    ).json()
    page = console
    sign_in(page, clerk.username)
    panel = page.locator("#classifier")
    expect(panel).to_be_visible()
    gate = live["gate"]
    if gate is not None:
        expect(panel.locator(".gate")).to_have_text(
            f"自动派遣率 {percent(gate['auto_rate'])}（精度目标 {percent(gate['target'])}）"
        )
    else:
        expect(panel.locator(".gate")).to_have_text("无可用闸门：全部进入人工受理")
    expect(panel).to_contain_text("%" if gate else "人工受理")
    shot(page, "classifier-live")

    answer: dict[str, Any] = {
        "id": 7,
        "created_at": "2026-12-01T02:00:00Z",
        "samples": 4210,
        "clerk_decisions": 386,
        "usable": True,
        "gate": {
            "target": 0.95,
            "remit": 0.62,
            "matter": 0.41,
            "auto_rate": 0.4321,
            "auto_precision": 0.962,
            "out_of_remit_auto": 0.004,
            "holdout_auto_rate": 0.38,
            "holdout_auto_precision": 0.951,
            "holdout_out_of_remit_auto": 0.006,
            "top1": 0.81,
            "top3": 0.93,
            "evaluated": 430,
        },
        "refused": None,
        "refused_at": None,
    }

    def serve(route: Route) -> None:
        route.fulfill(status=200, content_type="application/json", body=json.dumps(answer))

    page.route("**/api/v1/classifier", serve)
    page.reload()
    expect(panel.locator(".gate")).to_have_text("自动派遣率 43.2%（精度目标 95%）")
    expect(panel.locator("[data-figure=holdout]")).to_have_text(
        "留出估计：自动派遣率 38%，精度 95.1%"
    )
    expect(panel.locator("[data-figure=measured]")).to_have_text(
        "评估集（430 条）精度 96.2% · 非城管事项误派 0.4%"
    )
    expect(panel.locator("[data-figure=clerk_decisions]")).to_have_text("386")
    expect(panel.locator("[data-figure=refused]")).to_have_count(0)
    shot(page, "classifier-gate")

    answer["gate"] = None
    answer["refused"] = "评估集上自动派遣精度低于当前模型（0.91 < 0.95）"
    answer["refused_at"] = "2026-12-02T03:00:00Z"
    page.reload()
    expect(panel.locator(".gate")).to_have_text("无可用闸门：全部进入人工受理")
    expect(panel.locator("[data-figure=refused]")).to_contain_text(
        "最新训练的模型未发布（2026/12/2 11:00:00）：评估集上自动派遣精度低于当前模型"
    )
    shot(page, "classifier-refused")
