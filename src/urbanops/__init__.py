"""UrbanOps: city operations platform."""
