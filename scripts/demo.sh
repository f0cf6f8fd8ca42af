#!/usr/bin/env bash
# make demo: the bench TUI on a SIMULATED bench. Four laptop disks are image files
# (behind loop devices when root, the files themselves otherwise) with made-up models
# and serials from profiles/bench/demo.yaml; the fourth is read-only, so one disk shows
# a refusal. A local inventory server runs in the background (bench enrolled and
# approved automatically) so the sync badge goes online. Only these simulated disks
# are ever offered: STATION_DEVICE_ALLOWLIST names them and nothing else.
# Everything is removed on exit. DEMO_NO_TUI=1 sets up, prints, and exits (for tests).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
BIN=$(dirname "$PY")
SIZE_MIB=${DEMO_SIZE_MIB:-256}
LANG_UI=${DEMO_LANG:-fr}

work=$(mktemp -d /tmp/station-demo.XXXXXX)
export STATION_DATA_DIR="$work/data"
# The example workshop (name, address, SIRET) at the top of the demo's certificates.
export STATION_WORKSHOP=${STATION_WORKSHOP:-$PWD/profiles/workshop/example.yaml}
devices=()
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  for dev in "${devices[@]}"; do
    case "$dev" in /dev/loop*) losetup -d "$dev" 2>/dev/null || true ;; esac
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM HUP

use_loop=0
if [ "$(id -u)" -eq 0 ] && [ -e /dev/loop-control ] && command -v losetup >/dev/null; then
  use_loop=1
fi
for n in 01 02 03 04; do
  image="$work/laptop-$n.img"
  truncate -s "${SIZE_MIB}M" "$image"
  # "User data" at the start, so the erasure has something to remove.
  head -c 1048576 /dev/urandom | dd of="$image" conv=notrunc status=none
  if [ "$use_loop" -eq 1 ]; then
    ro=(); [ "$n" = 04 ] && ro=(--read-only)
    devices+=("$(losetup -f --show "${ro[@]}" "$image")")
  else
    [ "$n" = 04 ] && chmod a-w "$image"
    devices+=("$image")
  fi
done
STATION_DEVICE_ALLOWLIST=$(IFS=:; echo "${devices[*]}")
export STATION_DEVICE_ALLOWLIST
export STATION_SIMULATED_BENCH=1  # the demo identities, and the SIMULATED label
echo "simulated disks: ${devices[*]}"

bench="$work/demo-bench.yaml"
cp profiles/bench/demo.yaml "$bench"
# The supervisor signs the day with a secret (only its scrypt hash is stored). On a
# real bench: station supervisor add formateur-01 --bench-profile banc.yaml (typed twice).
DEMO_PIN=${DEMO_SUPERVISOR_PIN:-2468}
printf '%s\n' "$DEMO_PIN" | "$PY" -m station supervisor add formateur-01 \
  --bench-profile "$bench" --secret-stdin >/dev/null
echo "supervisor: formateur-01, demo secret code $DEMO_PIN (press S, then V, to sign the day)"

# The inventory server on 127.0.0.1 (a free port), its own SQLite file.
if "$PY" -c "import fastapi, uvicorn" 2>/dev/null; then
  port=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])")
  db="sqlite:///$work/inventory.db"
  "$BIN/station-inventory" serve --db "$db" --port "$port" --log-level warning \
    >"$work/inventory.log" 2>&1 &
  server_pid=$!
  url="http://127.0.0.1:$port"
  for _ in $(seq 50); do
    "$PY" -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/docs', timeout=1)" "$url" \
      2>/dev/null && break
    sleep 0.2
  done
  enrolled=$("$PY" -m station enrol --server "$url" --name demo-bench 2>&1 || true)
  bench_id=$(printf '%s\n' "$enrolled" | sed -n 's/^\(bench\|banc\) \([^ ]*\) .*/\2/p' | head -1)
  if [ -n "$bench_id" ]; then
    "$BIN/station-inventory" bench approve "$bench_id" --db "$db" >/dev/null
    sed -i "s|^inventory_url: null|inventory_url: \"$url\"|" "$bench"
    echo "inventory server: $url (bench $bench_id approved)"
    # Every read of the inventory needs a sign-in: a first admin for whoever runs the demo.
    admin_password=$("$PY" -c "import secrets; print(secrets.token_urlsafe(12))")
    printf '%s\n' "$admin_password" |
      "$BIN/station-inventory" user add admin --role admin --password-stdin --db "$db" >/dev/null
    echo "sign in at $url/login as admin, password $admin_password (daily log: $url/daily)"
    # The supervisor of the back office (lots, machines, destinations, reports) at $url/.
    supervisor_password=$("$PY" -c "import secrets; print(secrets.token_urlsafe(12))")
    printf '%s\n' "$supervisor_password" |
      "$BIN/station-inventory" user add encadrant --role encadrant --password-stdin --db "$db" >/dev/null
    echo "back office: $url/ as encadrant, password $supervisor_password (create a lot with the"
    echo "  asset-tag prefix SIM to gather the demo's disks, or EPN- with DEMO_CERTIFICATE=1)"
  else
    echo "inventory server: enrolment failed ($enrolled); the badge will say offline"
  fi
else
  echo "inventory server: the [server] extra is not installed; the badge will say so"
fi

# DEMO_CERTIFICATE=1: erase the first simulated disk headlessly (asset tag EPN-4242), sync
# its records, write its certificate, and open the page its QR code names, as a donor's
# phone would. The certificate stays in $DEMO_CERTIFICATE_OUT when set.
if [ "${DEMO_CERTIFICATE:-0}" = 1 ] && [ -n "${url:-}" ]; then
  export STATION_INVENTORY_URL="$url"
  "$PY" -m station wipe "${devices[0]}" --profile nist-clear-full --asset-tag EPN-4242 \
    --lot DEMO-2026 --donor "Donateur de démonstration" --operator demo-stagiaire --yes \
    >"$work/wipe.log" 2>&1 || { echo "demo wipe failed:"; tail -5 "$work/wipe.log"; exit 1; }
  "$PY" -m station sync >/dev/null
  record=$("$PY" -m station journal export - | "$PY" -c '
import base64, json, sys
chain = json.load(sys.stdin)
bodies = [json.loads(base64.b64decode(e["payload"])) for e in chain]
print([b for b in bodies if b["kind"] == "verification"][-1]["record_id"])')
  cert="${DEMO_CERTIFICATE_OUT:-$work/certificat.pdf}"
  "$PY" -m station certificate "$record" --out "$cert" >/dev/null
  "$PY" -m station journal key > "$work/poste.pem" 2>/dev/null
  "$PY" -m station verify "$cert" --key "$work/poste.pem"
  pdftoppm -r 150 -f 1 -l 1 -png "$cert" "$work/page"
  qr=$(zbarimg --quiet --raw "$work"/page*.png 2>/dev/null)
  echo "certificate: $cert"
  echo "QR code: $qr"
  "$PY" - "$qr" <<'PYEOF'
import html, re, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=10) as answer:
    page = answer.read().decode()
    title = re.search(r"<h1>(.*?)</h1>", page).group(1)
    status = re.search(r'<p class="status (\w+)">(.*?)</p>', page)
    print(f"verification page: {answer.status} {html.unescape(title)} — "
          f"{status.group(1)}: {html.unescape(status.group(2))}")
PYEOF
fi

# DEMO_BACK_OFFICE=1 (with DEMO_CERTIFICATE=1): the supervisor's walk through the back
# office, as in the browser: a lot, its erased machine, a destination, both reports.
if [ "${DEMO_BACK_OFFICE:-0}" = 1 ] && [ -n "${supervisor_password:-}" ]; then
  "$PY" scripts/demo_back_office.py "$url" encadrant "$supervisor_password"
fi

# A small demo master image (a GPT disk with an ext4 system and a few school files),
# built now and deployed by "Reconditionner" after the erasure. Needs loop devices.
if [ "$use_loop" -eq 1 ] && command -v sfdisk >/dev/null && command -v mkfs.ext4 >/dev/null; then
  if profile=$(PY="$PY" scripts/demo-image.sh "$work/image" 2>"$work/image.log"); then
    sed -i "s|^image_profile: null|image_profile: \"$profile\"|" "$bench"
    echo "image profile: $profile"
  else
    echo "image profile: none (building the demo image failed):"; tail -3 "$work/image.log"
  fi
else
  echo "image profile: none (making the demo image needs root): the screen says not configured"
fi

if [ "${DEMO_NO_TUI:-0}" = 1 ]; then
  cat "$bench"
  exit 0
fi
# DEMO_TUI_DRIVER=MODULE (tests): the same app, on this same simulated bench, driven by
# a Pilot script (keys only, 80x25) instead of a person at the terminal.
if [ -n "${DEMO_TUI_DRIVER:-}" ]; then
  "$PY" -m "$DEMO_TUI_DRIVER" --lang "$LANG_UI" --bench-profile "$bench"
  exit 0
fi
"$PY" -m station tui --lang "$LANG_UI" --bench-profile "$bench"
