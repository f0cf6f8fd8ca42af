#!/usr/bin/env bash
# Installs the Debian packages Station's tests, demo and benchmarks use, when run as root
# on Debian. Elsewhere it says what is missing and carries on: the tiers that need a
# missing tool skip with a visible reason.
set -euo pipefail

packages=(
  # block tier and demo
  util-linux e2fsprogs dosfstools
  # device tools Station drives
  smartmontools hdparm nvme-cli mmc-utils
  # imaging
  zstd partclone gdisk fdisk ntfs-3g bmap-tools cloud-guest-utils mtools
  # Clonezilla's own ocs-sr makes the test masters; hivexget reads Windows registry hives
  clonezilla parted libhivex-bin  # ocs-sr finds the post-MBR gap with parted
  # benchmarks: the reference tools
  nwipe
  # VM tier: emulated drives, a kernel and a root filesystem built from Debian
  qemu-system-x86 qemu-utils mmdebstrap cpio
  # server tier: a real PostgreSQL
  postgresql
  fonts-dejavu-core poppler-utils zbar-tools chromium  # reports: PDF font; tests read PDFs, QR codes, the web page
  cups-client  # lp: the screen prints certificates and labels when the bench names a queue
  cups-daemon  # the tests print on a real CUPS scheduler of their own
  # functional tests of the laptop (docs/functional-tests.md): memory, sound, camera, Wi-Fi
  memtester alsa-utils v4l-utils iw
  # classroom: one multicast stream to many laptops; network boot (proxy-DHCP + TFTP, iPXE)
  udpcast dnsmasq-base ipxe
  # UEFI network boot with Secure Boot on: Debian's signed shim and signed network GRUB
  # (station classroom serves them by TFTP); OVMF with Microsoft's keys for its VM test
  shim-signed grub-efi-amd64-signed ovmf
)

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "note: not root or not Debian; not installing: ${missing[*]} (tiers that need them will skip)" >&2
  exit 0
fi
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
