"""One settings object for the whole platform, read from `URBANOPS_*` environment variables.

Nested groups use a double underscore, e.g. ``URBANOPS_INTAKE__CONFIDENCE_THRESHOLD=0.6``.
No other module reads the environment.
"""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from urbanops.core.errors import UnsafeConfiguration

DEV_SECRET = "urbanops-development-secret-change-me"
MIN_SECRET_LENGTH = 32


class AuthSettings(BaseModel):
    secret_key: str = DEV_SECRET
    token_ttl_minutes: int = 12 * 60
    citizen_session_days: int = 30
    otp_ttl_minutes: int = 10
    otp_per_phone_per_hour: int = 5
    otp_per_ip_per_hour: int = 20
    # staff login: lock an account after this many wrong passwords in a row, for this long
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    # failed staff logins one IP address may make in a minute (all processes together)
    login_per_ip_per_minute: int = 10
    # password checks (argon2, ~64 MB each) run at once per process; others wait this long
    login_concurrency: int = 2
    login_queue_seconds: float = 10.0
    # the citizen session cookie's Secure flag; None: set it when env is production
    cookie_secure: bool | None = None


class IntakeSettings(BaseModel):
    # precision the automatic-dispatch gate is chosen for on the evaluation set (at training)
    auto_dispatch_precision: float = Field(0.95, gt=0.0, le=1.0)
    # … and the largest share of its out-of-remit messages the gate may dispatch
    auto_dispatch_max_out_of_remit: float = Field(0.01, ge=0.0, le=1.0)
    duplicate_radius_m: float = 50.0
    duplicate_window_days: int = 7
    reopen_window_days: int = 7
    max_photo_bytes: int = 10 * 1024 * 1024
    max_photo_pixels: int = 50_000_000  # 48-MP phone cameras; memory is bounded below
    # memory one photo may take to decode (JPEGs decode downscaled; others above it are refused)
    photo_decode_budget_bytes: int = 64 * 1024 * 1024
    photo_decode_concurrency: int = 2  # photos decoded at once per process
    photo_decode_wait_seconds: float = 30.0  # then the upload is told to retry
    # https origins (e.g. "https://img.example.org") whose photo links API clients may send
    media_url_origins: list[str] = Field(default_factory=list)


class LimitsSettings(BaseModel):
    """Request bodies, counted while they stream in (413 past the limit)."""

    max_body_bytes: int = 1024 * 1024  # JSON and form bodies
    upload_overhead_bytes: int = 64 * 1024  # multipart framing on top of intake.max_photo_bytes


class DeadlineSettings(BaseModel):
    # escalation ladder, in natural hours after a stage's due time
    urge_after_hours: float = 24.0
    escalate_after_hours: float = 72.0
    # remind this fraction of the stage's time before it is due
    remind_fraction: float = 0.2


class SmsSettings(BaseModel):
    gateway_url: str = ""  # empty: messages go to the console log
    gateway_token: str = ""


class WechatSettings(BaseModel):
    """Enterprise WeChat (企业微信) work messages to staff; no corp id: messages go to the log."""

    corp_id: str = ""
    corp_secret: str = ""
    agent_id: int = 0  # the application that sends the messages
    api_base: str = "https://qyapi.weixin.qq.com"


class NotificationSettings(BaseModel):
    # the unit managers' daily digest: when it is sent (platform time), on working days only
    digest_at: time = time(8, 30)
    digest_due_within_hours: float = Field(default=24.0, gt=0)


class JobsSettings(BaseModel):
    """The job workers: how they show they are alive, and when their jobs are taken back."""

    # how often a worker records that it is alive, and looks for jobs besides being notified
    heartbeat_seconds: float = Field(default=5.0, gt=0)
    poll_seconds: float = Field(default=5.0, gt=0)
    # a worker silent this long is taken for dead: the jobs it was running are run again
    stalled_after_seconds: float = Field(default=30.0, gt=0)
    # when to look for such jobs (cron, UTC; a 6th field counts seconds)
    stalled_check_cron: str = "* * * * *"
    # a job whose workers died under it this many times is failed instead (logged)
    stalled_max_attempts: int = Field(default=5, ge=1)
    # every worker process moves the job outbox into jobs this often, this many rows at a time
    outbox_poll_seconds: float = Field(default=0.25, gt=0)
    outbox_batch: int = Field(default=500, ge=1)


class RewardsSettings(BaseModel):
    """全莞拍: what a valid report earns and the guards against farming (points are integers)."""

    enabled: bool = True  # the campaign's switch: off, nothing is earned (balances stay)
    point_value_fen: int = Field(default=10, ge=1)  # 1 point = ¥0.10: a valid report ≈ ¥2
    points_per_case: int = Field(default=20, ge=0)  # to the first reporter of a registered case
    assist_points: int = Field(default=10, ge=0)  # 助攻: a new citizen brought by a shared link
    daily_cap: int = Field(default=100, ge=0)  # most points one citizen earns in a day
    release_after_days: int = Field(default=7, ge=0)  # pending → available without a dispute
    # most points the reports of one device (the app's X-Device-Id) and of one client address
    # earn in a Beijing day, whoever is signed in
    device_daily_cap: int = Field(default=100, ge=0)
    ip_daily_cap: int = Field(default=300, ge=0)
    # the timeline projection reads past an event id only this long after it was seen (ids
    # are handed out before their transactions commit)
    projection_settle_seconds: float = Field(default=300.0, ge=0)
    # campaign resets: `quarter` expires everyone's available points at each quarter's start
    reset_period: Literal["none", "quarter"] = "none"
    # farming signals (`rewards.farming`), over the last `flag_window_days`: reports of one spot
    # by one citizen, cases voided within hours of the report, reports of one device in an hour,
    # accounts behind one device
    flag_window_days: int = Field(default=7, ge=1)
    flag_same_spot_reports: int = Field(default=4, ge=2)
    flag_void_within_hours: int = Field(default=24, ge=1)
    flag_voided_reports: int = Field(default=3, ge=1)
    flag_device_burst: int = Field(default=10, ge=2)
    flag_device_accounts: int = Field(default=3, ge=2)
    # titles and badges: the 文明随手拍 badge's levels (valid reports, ascending), the assists
    # that make a 文明助攻王, and how many of the month's top scorers become 文明得分王
    badge_levels: list[int] = Field(default_factory=lambda: [1, 5, 10, 30, 60])
    assist_title_assists: int = Field(default=3, ge=1)
    score_title_top: int = Field(default=15, ge=1)
    # prizes: a voucher not collected this many days after redemption (or after the prize's
    # validity, whichever is first) is cancelled and its points refunded
    voucher_valid_days: int = Field(default=30, ge=1)
    # cash red packets: `local` records payouts (development, demo, tests), `wechat` pays by
    # WeChat Pay 商家转账到零钱; a payout failing this many times is given up and refunded
    payment_adapter: Literal["local", "wechat"] = "local"
    local_payout_fails: bool = False  # the local adapter refuses every payout (to try failure)
    payout_max_attempts: int = Field(default=5, ge=1)
    wechat_pay_mch_id: str = ""  # 商户号
    wechat_pay_appid: str = ""  # the app (公众号 / 小程序) whose openids receive the money
    wechat_pay_key_path: str = ""  # the merchant's API private key (apiclient_key.pem)
    wechat_pay_cert_serial: str = ""  # the serial number of the merchant's API certificate
    wechat_pay_api_base: str = "https://api.mch.weixin.qq.com"

    @field_validator("badge_levels")
    @classmethod
    def _ascending_levels(cls, levels: list[int]) -> list[int]:
        if not levels or levels[0] < 1 or levels != sorted(set(levels)):
            raise ValueError("badge levels: positive, strictly ascending, at least one")
        return levels


class Open311Settings(BaseModel):
    """What the Open311 discovery document tells other systems about this deployment."""

    contact: str = "UrbanOps 城市运行管理服务平台：请联系本市城市管理指挥中心 / contact the city's urban management command centre"
    key_service: str = (
        "由平台管理员运行 `urbanops apikey create NAME` 创建 API 密钥，或向本市城市管理指挥中心申请 / "
        "run `urbanops apikey create NAME` on the server, or ask the city for a key"
    )
    endpoint_type: str = "production"  # production | test


class GeoSettings(BaseModel):
    grid_cell_size_m: float = 500.0
    region_code: str = "441900"
    h3_resolution: int = 10
    tile_url: str = ""  # e.g. a 天地图/高德/OSM tile template for deployments with internet
    # a point outside every town but within this distance of one (metres) goes to that town
    snap_tolerance_m: float = Field(default=300.0, ge=0.0, le=5000.0)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="URBANOPS_", env_nested_delimiter="__", extra="ignore"
    )

    env: str = "development"  # development | production | test
    # data directory (embedded database, media): per user unless set; relative values are
    # resolved against the directory the settings were loaded in
    home: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("urbanops")))
    # what can be computed again (trained classifier models by their inputs): per user unless set
    cache_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir("urbanops")))
    database_url: str | None = None
    # connections: each process takes its share of the server's limit (`core.db.pool_plan`)
    db_pool_size: int | None = None  # a fixed pool per process instead of the share
    db_max_connections: int | None = None  # the limit; else the server's, read at start-up
    db_job_workers: int = Field(default=1, ge=0)  # `urbanops worker` processes sharing it
    web_workers: int = Field(default=1, ge=1)  # web processes (`serve --workers N` sets it)
    db_pgbouncer: bool = False  # the URL is PgBouncer in transaction mode: nothing prepared
    timezone: str = "Asia/Shanghai"
    demo_mode: bool = False
    embedded_worker: bool = True
    auth: AuthSettings = Field(default_factory=AuthSettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    deadlines: DeadlineSettings = Field(default_factory=DeadlineSettings)
    geo: GeoSettings = Field(default_factory=GeoSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)
    wechat: WechatSettings = Field(default_factory=WechatSettings)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    jobs: JobsSettings = Field(default_factory=JobsSettings)
    open311: Open311Settings = Field(default_factory=Open311Settings)
    rewards: RewardsSettings = Field(default_factory=RewardsSettings)

    @field_validator("home")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    def check_production(self) -> None:
        """Refuse to run in production with the public default secret or a short one (anyone
        could sign an admin token): raises `UnsafeConfiguration`, whose str is one line."""
        if self.env != "production":
            return
        key = self.auth.secret_key
        if key == DEV_SECRET or len(key) < MIN_SECRET_LENGTH:
            why_zh = "仍是公开的默认值" if key == DEV_SECRET else f"只有 {len(key)} 个字符"
            why_en = (
                "is the public default" if key == DEV_SECRET else f"has only {len(key)} characters"
            )
            make = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'
            raise UnsafeConfiguration(
                f"生产环境拒绝启动：签名密钥{why_zh}，请将 URBANOPS_AUTH__SECRET_KEY 设为至少 "
                f"{MIN_SECRET_LENGTH} 个字符的随机值（生成：{make}）",
                code="insecure_secret_key",
                message_en=f"refusing to start in production: the signing key {why_en}; set "
                f"URBANOPS_AUTH__SECRET_KEY to a random value of at least {MIN_SECRET_LENGTH} "
                f"characters (make one with: {make})",
            )

    @property
    def media_dir(self) -> Path:
        return self.home / "media"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
