"""Print the referral-case figures: share of required actions present, missed emergencies and
forbidden-firm violations over every case in this directory.

Run from anywhere: ``python tests/cases/report.py`` (same as ``python -m tests.test_referral_cases``
from the repository root).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.test_referral_cases import main

if __name__ == "__main__":
    sys.exit(main())
