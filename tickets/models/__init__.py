"""The tickets app's models, one module per concern; each module lists its models in __all__."""

from tickets.models.cases import *  # noqa: F403
from tickets.models.cases import __all__ as _cases
from tickets.models.escalations import *  # noqa: F403
from tickets.models.escalations import __all__ as _escalations
from tickets.models.inbound import *  # noqa: F403
from tickets.models.inbound import __all__ as _inbound
from tickets.models.intake import *  # noqa: F403
from tickets.models.intake import __all__ as _intake
from tickets.models.monitoring import *  # noqa: F403
from tickets.models.monitoring import __all__ as _monitoring
from tickets.models.notifications import *  # noqa: F403
from tickets.models.notifications import __all__ as _notifications
from tickets.models.surveys import *  # noqa: F403
from tickets.models.surveys import __all__ as _surveys

__all__ = [*_cases, *_escalations, *_inbound, *_intake, *_monitoring, *_notifications, *_surveys]
