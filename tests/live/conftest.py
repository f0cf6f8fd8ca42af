"""Live tier: the built live ISO booted under QEMU (UEFI with Secure Boot, and BIOS).
This file only puts the VM tier's harness and scripts/live on the import path.

Skips, saying why, when no image has been built (`make live-image`), so `make test`
stays within CI's time; `make vm-boot` runs it. Each firmware boots once per session
(module-scoped fixtures) and many small tests read what that boot saw.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts" / "vm"))
sys.path.insert(0, str(REPO / "scripts" / "live"))
