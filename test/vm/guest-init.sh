#!/bin/busybox sh
# shellcheck shell=dash
# guest-init.sh - /init of the test guest's initramfs (busybox sh, not bash)
#
# Loads the virtio and 9p modules, mounts the host's root read-only and the
# run's results directory, builds a chroot in which every host path is the
# same as on the host, runs test/vm/guest-run.sh there, and powers off.  The
# host reads run.conf from the results share to know what to run.
#
# Whatever happens, the guest must power off: the host waits for qemu to exit.

/bin/busybox --install -s /bin
export PATH=/bin

say() { echo "@@gdl $*" >/dev/console; }
fail() {
	say "guest-init: $*"
	sync
	poweroff -f
}

mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev

# Module order was resolved from modules.dep when the initramfs was packed.
while read -r ko; do
	insmod "/modules/$ko" || fail "insmod $ko failed"
done </modules/order

p9="trans=virtio,version=9p2000.L,msize=512000"
mkdir -p /host /results
mount -t 9p -o "$p9,cache=loose,ro" host /host || fail "cannot mount the host's root over 9p"
# No cache on the results share: every write must reach the host.
mount -t 9p -o "$p9" results /results || fail "cannot mount the results share"
[ -f /results/run.conf ] || fail "no run.conf in the results share"
# shellcheck disable=SC1091
. /results/run.conf

# The chroot: the host's root, with the guest's own kernel filesystems.
r=/host
# The guest gets its own /tmp and /run.  Host paths the run needs that live
# there (a CI clone in /tmp, say) are held aside first and bound back on top.
n=0
for p in $GDL_HOST_PATHS; do
	n=$((n + 1))
	mkdir -p "/keep/$n"
	mount --bind "$r$p" "/keep/$n" || fail "cannot hold $p aside"
done
mount -t tmpfs -o mode=1777 tmp "$r/tmp"
mount -t tmpfs -o mode=0755 run "$r/run"
n=0
for p in $GDL_HOST_PATHS; do
	n=$((n + 1))
	mkdir -p "$r$p"
	mount --bind "/keep/$n" "$r$p" || fail "cannot bind $p back"
done
mount -t proc proc "$r/proc"
mount -t sysfs sys "$r/sys"
mount -t devtmpfs dev "$r/dev"
# devtmpfs has no /dev/fd: bash's process substitution needs it.
ln -sfn /proc/self/fd "$r/dev/fd"
ln -sfn /proc/self/fd/0 "$r/dev/stdin"
ln -sfn /proc/self/fd/1 "$r/dev/stdout"
ln -sfn /proc/self/fd/2 "$r/dev/stderr"
mkdir -p "$r/dev/pts" "$r/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666 devpts "$r/dev/pts"
mount -t tmpfs -o mode=1777 shm "$r/dev/shm"
mount -t tracefs tracefs "$r/sys/kernel/tracing"
# Enabling any ftrace event also turns on comm/tgid recording, which patches
# the scheduler's sched_switch and sched_wakeup tracepoints in and out at
# every enable and disable. Under TCG with two vCPUs that live patching of a
# site every idle CPU runs crashed the 6.12 guest once ("Oops: int3" in
# ttwu_do_activate during 15-tracepoints, no module code on any stack; the
# one 15-tracepoints hang seen on 6.1 fits the same cause). The cases read
# the events' own pid fields, never the recorded comms: record neither, so
# enabling a gpu_dma_lock event patches only the module's own sites.
echo 0 >"$r/sys/kernel/tracing/options/record-cmd" 2>/dev/null || true
echo 0 >"$r/sys/kernel/tracing/options/record-tgid" 2>/dev/null || true
mount -t debugfs debugfs "$r/sys/kernel/debug"
mount -t bpf bpf "$r/sys/fs/bpf"
mkdir -p "$r/run/gdl-results"
mount --bind /results "$r/run/gdl-results"

say "guest up: kernel $(uname -r), running test/vm/guest-run.sh"
chroot "$r" /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TERM=dumb LANG=C.UTF-8 \
	GDL_REPO="$GDL_REPO" GDL_BUILD="$GDL_BUILD" GDL_RESULTS=/run/gdl-results \
	GDL_MODE="$GDL_MODE" GDL_CASE_TIMEOUT="$GDL_CASE_TIMEOUT" \
	GDL_KERNEL="${GDL_KERNEL:-stable}" GDL_KVER="${GDL_KVER:-}" GDL_FUZZ_CALLS="${GDL_FUZZ_CALLS:-}" \
	GDL_CLOCK="${GDL_CLOCK:-real}" GDL_TIMEOUT_SCALE="${GDL_TIMEOUT_SCALE:-1}" \
	/bin/bash "$GDL_REPO/test/vm/guest-run.sh" >/dev/console 2>&1
say "guest-run.sh exited $?"

sync
umount "$r/run/gdl-results" 2>/dev/null
umount /results 2>/dev/null
poweroff -f
