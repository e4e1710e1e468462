"""The tickets app's models, one module per concern; each module lists its models in __all__."""

from .cases import *  # noqa: F403
from .cases import __all__ as _cases
from .escalations import *  # noqa: F403
from .escalations import __all__ as _escalations
from .inbound import *  # noqa: F403
from .inbound import __all__ as _inbound
from .intake import *  # noqa: F403
from .intake import __all__ as _intake
from .monitoring import *  # noqa: F403
from .monitoring import __all__ as _monitoring
from .notifications import *  # noqa: F403
from .notifications import __all__ as _notifications
from .surveys import *  # noqa: F403
from .surveys import __all__ as _surveys

__all__ = [*_cases, *_escalations, *_inbound, *_intake, *_monitoring, *_notifications, *_surveys]
