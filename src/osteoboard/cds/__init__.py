"""The CDS Hooks 2.0 service (``/cds-services`` on the app of ``osteoboard serve``):
discovery, ``patient-view`` cards from the proposal, ``order-select`` and ``order-sign``
checks of bone-modifying agents, and feedback stored in the store. See docs/cds-hooks.md."""

from osteoboard.cds.service import SERVICES, install_cds
from osteoboard.cds.settings import CdsClient, CdsSettings

__all__ = ["SERVICES", "CdsClient", "CdsSettings", "install_cds"]
