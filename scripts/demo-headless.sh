#!/usr/bin/env bash
# make demo-headless: the pre-TUI demo, a headless wipe on a simulated bench. A disk image file (behind a loop device when
# root) stands for a laptop's disk; it is filled with "user data" and then erased with
# visible progress. Only that simulated disk is ever offered: STATION_DEVICE_ALLOWLIST
# names it and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SIZE_MIB=${DEMO_SIZE_MIB:-1024}
PROFILE=${DEMO_PROFILE:-nist-clear}

work=$(mktemp -d /tmp/station-demo.XXXXXX)
export STATION_DATA_DIR="$work/data"
image="$work/laptop-disk.img"
device=""
cleanup() {
  if [ -n "$device" ]; then losetup -d "$device" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Disque simulé / simulated disk: ${SIZE_MIB} MiB"
truncate -s "${SIZE_MIB}M" "$image"
if [ "$(id -u)" -eq 0 ] && [ -e /dev/loop-control ] && command -v losetup >/dev/null; then
  device=$(losetup -f --show --direct-io=on "$image")
  echo "loop device $device over $image"
else
  device=""
  echo "not root: using the image file itself ($image)"
fi
target=${device:-$image}
export STATION_DEVICE_ALLOWLIST="${device}"
export STATION_SIMULATED_BENCH=1  # the demo identities, and the SIMULATED label

say "Remplissage avec des données / filling it with data"
dd if=/dev/urandom of="$target" bs=4M count=$((SIZE_MIB / 4)) oflag=direct status=progress 2>&1 | tail -1
echo "first bytes before:"; od -A d -t x1 -N 32 "$target"

if "$PY" -m station disks --help >/dev/null 2>&1 && [ -n "$device" ]; then
  say "Disques vus par Station / disks Station sees (loop devices shown for the demo)"
  "$PY" -m station disks --include-loop 2>&1 | grep -E "SLOT|$(basename "$device")" || true
fi

say "Profils / profiles"
"$PY" -m station profiles

say "Effacement / erasing $target with profile $PROFILE"
set +e
"$PY" -m station wipe "$target" --profile "$PROFILE" --yes --operator demo-stagiaire \
  --json "$work/result.json"
code=$?
set -e
echo "exit code: $code"
echo "first bytes after:"; od -A d -t x1 -N 32 "$target"

say "Résultat / result (JSON, abridged)"
"$PY" - "$work/result.json" <<'PYEOF'
import json, sys
r = json.load(open(sys.argv[1]))
v = r["verification"] or {}
print(f"result        : {r['result']}")
print(f"profile       : {r['profile']} ({r['method']})")
print(f"target        : {r['target']['path']} {r['target']['size_bytes']} bytes, direct I/O {r['target']['direct_io']}")
for p in r["passes"]:
    print(f"pass {p['index']}        : {p['pattern']} {p['bytes_written']} bytes, {p['rate_bps'] or 0:,.0f} B/s")
print(f"verification  : {v.get('mode')} {v.get('coverage_percent')} % read, seed {v.get('seed_hex')}, "
      f"{len(v.get('mismatches', []))} mismatches")
print(f"duration      : {r['duration_s']} s")
PYEOF
