"""The demo clinic: a small, realistic data set that ``pistor demo`` loads.

Loaded through the same services as real data, so it is validated and audited like any
other record. ``demo_load()`` is idempotent: run twice, the second run changes nothing.
"""

from pistor.demo.data import DEMO_PASSWORD, DEMO_TOTP_SECRET
from pistor.demo.services import DemoAccount, DemoDetails, demo_load

__all__ = ["DEMO_PASSWORD", "DEMO_TOTP_SECRET", "DemoAccount", "DemoDetails", "demo_load"]
