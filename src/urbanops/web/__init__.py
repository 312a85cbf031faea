"""Server-rendered pages and static assets: the citizen app (/m/), the landing page, media."""
