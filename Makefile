# Station: the two commands a newcomer needs are `make demo` and `make test`.
# Each one sets up what it needs (virtualenv, pip packages, Debian packages when root).

PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
STAMP   = $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help demo demo-headless test check lint typecheck imports bench classroom-test vm-test system-deps clean lock report-previews back-office-screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 16

LOCK    = requirements.lock
UV      = uv==0.13.9

# The virtualenv is built from the lock alone (exact versions, checked hashes), and rebuilt
# from scratch whenever the lock changes, so every machine runs what CI ran.
$(STAMP): $(LOCK) pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install -q --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	touch $@

lock: ## re-resolve every Python dependency to its newest allowed version (commit it alone)
	$(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install -q '$(UV)'
	.venv-lock/bin/uv pip compile pyproject.toml requirements-build.in \
	  --extra server --extra dev --generate-hashes --upgrade \
	  --python-version 3.11 --python-platform x86_64-manylinux_2_28 -o $(LOCK)

system-deps: ## install Debian packages (root only; otherwise says what is missing)
	@scripts/install-system-deps.sh

demo: $(STAMP) system-deps ## the bench TUI on a simulated bench (never a real disk)
	@scripts/demo.sh

demo-headless: $(STAMP) system-deps ## a headless wipe of one simulated disk, no TUI
	@scripts/demo-headless.sh

test: $(STAMP) system-deps ## run every test tier this machine supports
	$(PY) -m pytest

check: lint typecheck imports test ## ruff + mypy + import-linter + tests

lint: $(STAMP)
	$(VENV)/bin/ruff check station tests bench scripts
	$(VENV)/bin/ruff format --check station tests bench scripts

typecheck: $(STAMP)
	$(VENV)/bin/mypy

imports: $(STAMP)
	$(VENV)/bin/lint-imports

bench: $(STAMP) system-deps ## measure Station against dd and nwipe; writes docs/performance.md
	$(PY) bench/wipe.py --write-doc docs/performance.md
	$(PY) bench/sync.py --write-doc docs/performance.md
	$(PY) bench/deploy.py --write-doc docs/performance.md
	$(PY) bench/classroom.py --write-doc docs/performance.md

classroom-test: $(STAMP) system-deps ## the classroom tier (docs/classroom.md): 3 QEMU laptops boot the live system from the network (make live-netboot first) and get one multicast stream (one late, one cut); BIOS and UEFI Secure Boot; namespaces, PXE answers
	STATION_NETBOOT_DIR=$(STATION_NETBOOT_DIR) $(PY) -m pytest -rs tests/block/test_classroom_multicast.py tests/block/test_classroom_pxe.py tests/vm/test_classroom_uefi_boot.py tests/vm/test_classroom_live.py tests/vm/test_classroom_live_inventory.py

vm-test: $(STAMP) system-deps ## the VM tier alone (QEMU with emulated drives)
	$(PY) -m pytest tests/vm

report-previews: $(STAMP) system-deps ## PNG previews of the certificate, lot and verification page (docs/reports)
	$(PY) scripts/report_previews.py docs/reports

back-office-screenshots: $(STAMP) system-deps ## PNGs of the inventory's back office (docs/inventory-server)
	$(PY) scripts/back_office_screenshots.py docs/inventory-server

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .venv-lock .pytest_cache .mypy_cache .ruff_cache

.PHONY: live-image live-netboot vm-boot
live-image: $(STAMP) ## build the live USB ISO with Debian live-build (root; see docs/live-image.md)
	@scripts/live/install-build-tools live-build xorriso squashfs-tools mtools dosfstools fdisk
	PYTHON=$(PY) scripts/live/build-image

# The classroom's network-boot build: its live/ folder (vmlinuz, initrd.img,
# filesystem.squashfs) is what `station classroom serve` serves and `make classroom-test`
# boots (docs/classroom.md). STATION_NETBOOT_DIR is where the tests look for it.
STATION_NETBOOT_DIR ?= /var/tmp/station-live-netboot
live-netboot: $(STAMP) ## build the live system for network boot (root; its live/ folder in $STATION_NETBOOT_DIR, docs/classroom.md)
	@scripts/live/install-build-tools live-build xorriso squashfs-tools mtools dosfstools fdisk
	STATION_NETBOOT=1 STATION_LIVE_DIR=$(STATION_NETBOOT_DIR) PYTHON=$(PY) scripts/live/build-image

vm-boot: $(STAMP) ## boot the built live ISO under QEMU (UEFI and BIOS) and drive tty1
	@scripts/live/install-build-tools ovmf qemu-system-x86 qemu-utils mtools dosfstools
	STATION_LIVE_TESTS=1 $(PY) -m pytest -m live tests/live -v -rs; status=$$?; $(PY) scripts/live/report-boot; exit $$status
