#!/usr/bin/env bash
# Builds the demo master image for `make demo` (root only: loop devices, mkfs, mount):
# a small GPT disk with an ext4 system holding a few school files, turned into a
# Station image (raw + zstd + block map) in FOLDER, with an image profile FOLDER/
# demo-linux.yaml whose manifest is the image's real checksums.
# Usage: scripts/demo-image.sh FOLDER
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
folder=$1
mkdir -p "$folder"
master_file="$folder/master.img"
mnt="$folder/mnt"
master=""
cleanup() {
  mountpoint -q "$mnt" 2>/dev/null && umount "$mnt"
  if [ -n "$master" ]; then partx -d "$master" 2>/dev/null || true; losetup -d "$master" 2>/dev/null || true; fi
  rm -rf "$mnt" "$master_file"
}
trap cleanup EXIT

truncate -s 128M "$master_file"
master=$(losetup -f --show "$master_file")
printf 'label: gpt\n,,L\n' | sfdisk -q --no-reread "$master"
partx -a "$master"  # this kernel parses no partition table by itself (docs/testing.md)
mkfs.ext4 -q -L demo-root "${master}p1"
mkdir -p "$mnt"
mount "${master}p1" "$mnt"
mkdir -p "$mnt/etc" "$mnt/home/eleve/Documents"
echo "poste-demo" > "$mnt/etc/hostname"
echo "0123456789abcdef0123456789abcdef" > "$mnt/etc/machine-id"
printf 'Bienvenue sur votre ordinateur reconditionné !\n' > "$mnt/home/eleve/Documents/Bienvenue.txt"
cp /usr/share/common-licenses/GPL-3 "$mnt/home/eleve/Documents/Licence-GPL-3.txt" 2>/dev/null || true
umount "$mnt"
partx -d "$master"

STATION_DEVICE_ALLOWLIST="${STATION_DEVICE_ALLOWLIST:+$STATION_DEVICE_ALLOWLIST:}$master" \
  "$PY" -m station image create "$master" "$folder/demo-linux" >"$folder/manifest.txt"

manifest=$(sed -n 's/^ *\(disk\.[a-z.]*\): *"\{0,1\}\([0-9a-f]\{64\}\)"\{0,1\}.*/  \1: "\2"/p' "$folder/manifest.txt")
[ -n "$manifest" ] || { echo "no manifest in: $(cat "$folder/manifest.txt")" >&2; exit 1; }
sed -e "s|^location: .*|location: $folder/demo-linux|" \
    -e "s|^min_disk_mib: .*|min_disk_mib: 128|" \
    -e '/^manifest:/,/^[a-z_]*:/{/^  /d}' \
    profiles/images/demo-linux.yaml > "$folder/demo-linux.yaml.tmp"
awk -v m="$manifest" '{print} /^manifest:/{print m}' "$folder/demo-linux.yaml.tmp" > "$folder/demo-linux.yaml"
rm "$folder/demo-linux.yaml.tmp"
echo "$folder/demo-linux.yaml"
