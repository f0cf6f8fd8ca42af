#!/bin/sh
# PID 1 of the VM tier's test VM. It only mounts the kernel filesystems and hands over to
# the agent that each boot appends (overlay cpio), so editing the agent never rebuilds the
# cached rootfs. Whatever happens, the VM powers off: QEMU must never wait for a timeout.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /run /tmp /var/lib/station
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /run
exec </dev/console >/dev/console 2>&1
echo "station-vm: init reached after $(cut -d' ' -f1 /proc/uptime) s"
if [ -x /usr/bin/python3 ] && [ -f /opt/station-vm/agent.py ]; then
    /usr/bin/python3 /opt/station-vm/agent.py
else
    echo "station-vm: no agent in the initramfs (overlay cpio missing?)"
fi
sync
echo o > /proc/sysrq-trigger
sleep 10
# Still here: exiting PID 1 panics the kernel, and panic=-1 with -no-reboot stops QEMU.
exit 1
