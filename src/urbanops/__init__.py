"""UrbanOps: city operations platform (城市运行管理服务平台)."""

__version__ = "0.1.0"
