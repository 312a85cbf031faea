"""Every table of the platform: importing this module registers each domain's tables on
`Base.metadata` (the entry points import it: the web app, the CLI, the job worker, Alembic)."""

from urbanops.areas import models as _areas  # noqa: F401
from urbanops.cases import models as _cases  # noqa: F401
from urbanops.catalogue import models as _catalogue  # noqa: F401
from urbanops.core import calendar_store as _calendar  # noqa: F401
from urbanops.core import outbox as _outbox  # noqa: F401
from urbanops.core.db import Base
from urbanops.identity import models as _identity  # noqa: F401
from urbanops.notifications import models as _notifications  # noqa: F401
from urbanops.reports import models as _reports  # noqa: F401
from urbanops.rewards import board_models as _boards  # noqa: F401
from urbanops.rewards import earning_models as _earning  # noqa: F401
from urbanops.rewards import flag_models as _flags  # noqa: F401
from urbanops.rewards import models as _rewards  # noqa: F401
from urbanops.rewards import prize_models as _prizes  # noqa: F401
from urbanops.rewards import title_models as _titles  # noqa: F401

metadata = Base.metadata
