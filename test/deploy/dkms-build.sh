#!/usr/bin/env bash
# Builds the module the way DKMS would, from kmod/dkms.conf, against the test
# kernel's headers, without dkms and without touching this host's kernel:
#   1. copy kmod/ where dkms puts a build tree: $dkms_tree/PKG/VER/build
#   2. source dkms.conf with the variables dkms defines (kernelver,
#      kernel_source_dir, dkms_tree, ...) and run its MAKE[0] there
#   3. check BUILT_MODULE_NAME[0].ko is produced, for that kernel (vermagic),
#      and CLEAN works
# Prints TAP-ish lines. Kernel: `test/vm/kernel.sh version`, else the newest
# /lib/modules/*/build.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CONF="$ROOT/kmod/dkms.conf"

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failed=1; }
failed=0

if [ ! -f "$CONF" ]; then
	ok "dkms build of the module # SKIP kmod/dkms.conf does not exist yet"
	exit 0
fi

kernelver=$("$ROOT/test/vm/kernel.sh" version 2>/dev/null) ||
	kernelver=$(ls -d /lib/modules/*/build 2>/dev/null | sed 's|/lib/modules/\([^/]*\)/build|\1|' | sort -V | tail -n1)
if [ -z "$kernelver" ] || [ ! -d "/lib/modules/$kernelver/build" ]; then
	notok "dkms build of the module: no kernel headers (/lib/modules/*/build); install linux-headers-amd64"
	exit 1
fi

work=$(mktemp -d /tmp/gdl-dkms.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The variables dkms sets before it reads dkms.conf (dkms(8), "dkms.conf").
# shellcheck disable=SC2034
{
	arch=$(uname -m)
	kernel_source_dir="/lib/modules/$kernelver/build"
	dkms_tree="$work/var/lib/dkms"
	source_tree="$work/usr/src"
}
# dkms.conf is shell: dkms sources it, so MAKE[0] expands with the values above.
# shellcheck disable=SC1090
. "$CONF"

for v in PACKAGE_NAME PACKAGE_VERSION; do
	[ -n "${!v:-}" ] || { notok "dkms.conf sets $v"; exit 1; }
done
ok "dkms.conf sets PACKAGE_NAME=$PACKAGE_NAME PACKAGE_VERSION=$PACKAGE_VERSION"
[ "$PACKAGE_NAME" = "gpu-dma-lock" ] && ok "PACKAGE_NAME is gpu-dma-lock" || notok "PACKAGE_NAME is $PACKAGE_NAME, want gpu-dma-lock"
[ -n "${MAKE[0]:-}" ] && [ -n "${BUILT_MODULE_NAME[0]:-}" ] && [ -n "${DEST_MODULE_LOCATION[0]:-}" ] &&
	ok "dkms.conf sets MAKE[0], BUILT_MODULE_NAME[0], DEST_MODULE_LOCATION[0]" ||
	notok "dkms.conf lacks MAKE[0], BUILT_MODULE_NAME[0] or DEST_MODULE_LOCATION[0]"

# dkms add copies the source dir to /usr/src/PKG-VER; dkms build copies that
# to $dkms_tree/PKG/VER/build and runs MAKE there. Build outputs of a
# developer's tree (build/, *.o) must not be what makes it pass: copy sources only.
build="$dkms_tree/$PACKAGE_NAME/$PACKAGE_VERSION/build"
mkdir -p "$build"
(cd "$ROOT/kmod" && tar --exclude='*.o' --exclude='*.ko' --exclude='*.cmd' --exclude='*.mod*' \
	--exclude=Module.symvers --exclude=modules.order --exclude=.tmp_versions -cf - .) | tar -C "$build" -xf -

log="$work/make.log"
if (cd "$build" && eval "${MAKE[0]}") >"$log" 2>&1; then
	ok "MAKE[0] builds against $kernelver headers"
else
	notok "MAKE[0] builds against $kernelver headers: $(tail -n 5 "$log" | tr '\n' ' ')"
fi

ko="$build/${BUILT_MODULE_LOCATION[0]:-}${BUILT_MODULE_NAME[0]}.ko"
if [ -f "$ko" ]; then
	ok "${BUILT_MODULE_NAME[0]}.ko produced"
	vermagic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
	[ "$vermagic" = "$kernelver" ] && ok "module vermagic is $kernelver" || notok "module vermagic is '$vermagic', want $kernelver"
	name=$(modinfo -F name "$ko" 2>/dev/null)
	[ "$name" = "${BUILT_MODULE_NAME[0]}" ] && ok "module name is $name" || notok "module name is '$name', want ${BUILT_MODULE_NAME[0]}"
else
	notok "${BUILT_MODULE_NAME[0]}.ko produced: not found at ${ko#"$work"/}"
fi

if [ -n "${CLEAN:-}" ]; then
	if (cd "$build" && eval "$CLEAN") >>"$log" 2>&1 && [ ! -f "$ko" ]; then
		ok "CLEAN removes the built module"
	else
		notok "CLEAN removes the built module"
	fi
fi

# The operator's install script names what dkms.conf says (dry run: it only
# prints the commands).
plan=$(bash "$ROOT/deploy/dkms/install.sh" --dry-run --kernel "$kernelver" 2>&1)
if grep -qx "+ dkms add $ROOT/kmod" <<<"$plan" &&
	grep -qx "+ dkms build -m $PACKAGE_NAME -v $PACKAGE_VERSION -k $kernelver" <<<"$plan" &&
	grep -qx "+ dkms install -m $PACKAGE_NAME -v $PACKAGE_VERSION -k $kernelver" <<<"$plan" &&
	grep -q "modules-load.d/gpu-dma-lock.conf: ${BUILT_MODULE_NAME[0]}\$" <<<"$plan"; then
	ok "deploy/dkms/install.sh plans dkms add/build/install of $PACKAGE_NAME/$PACKAGE_VERSION"
else
	notok "deploy/dkms/install.sh plans dkms add/build/install: $(tr '\n' ' ' <<<"$plan")"
fi

# With dkms installed, the real thing too: `dkms build` in private trees
# (--dkmstree/--sourcetree), which builds and signs but installs nothing and
# loads nothing. (dkms may create its MOK signing key in /var/lib/dkms.)
if command -v dkms >/dev/null; then
	mkdir -p "$work/real/tree" "$work/real/src"
	cp -r "$ROOT/kmod" "$work/real/src/$PACKAGE_NAME-$PACKAGE_VERSION"
	rm -rf "$work/real/src/$PACKAGE_NAME-$PACKAGE_VERSION/build"
	if dkms build -m "$PACKAGE_NAME" -v "$PACKAGE_VERSION" -k "$kernelver" \
		--dkmstree "$work/real/tree" --sourcetree "$work/real/src" \
		--kernelsourcedir "/lib/modules/$kernelver/build" >"$work/real.log" 2>&1 &&
		[ -f "$work/real/tree/$PACKAGE_NAME/$PACKAGE_VERSION/$kernelver/$(uname -m)/module/${BUILT_MODULE_NAME[0]}.ko" ]; then
		ok "dkms build (dkms $(dkms --version | sed 's/^dkms-//')) produces ${BUILT_MODULE_NAME[0]}.ko for $kernelver"
	else
		notok "dkms build: $(tail -n 5 "$work/real.log" | tr '\n' ' ')"
	fi
else
	ok "dkms build with dkms itself # SKIP dkms not installed (apt-get install dkms); MAKE[0] was checked above"
fi
exit $failed
