#!/usr/bin/env bash
# An app outside the tree builds against skiff with pkg-config alone: from the
# build tree (meson-uninstalled/skiff-uninstalled.pc) and after `meson
# install` (here into a scratch DESTDIR). tests/shim/hello.c is compiled in a
# scratch directory, outside the build, and run on net_null.
# Usage: pkgconfig_test.sh BUILD_DIR SOURCE_DIR

build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
source "$src/tests/e2e/lib.sh"
command -v pkg-config >/dev/null || skip_all "needs pkg-config (apt-get install pkg-config)"
command -v cc >/dev/null || skip_all "needs a C compiler (apt-get install gcc)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$src/tests/shim/hello.c" "$work/"
cd "$work" || exit 1

# build_and_run NAME [PKG-CONFIG ARGS...]: compile hello.c with the flags
# pkg-config gives, run it on net_null, expect its one line.
build_and_run() {
	local name=$1
	shift
	local flags libdir out rc
	flags=$(pkg-config "$@" --cflags --libs skiff) || return 1
	echo "# cc hello.c $flags"
	cc -o "$name" hello.c $flags 2>&1 | sed 's/^/# /'
	[ -x "$name" ] || return 1
	libdir=$(pkg-config "$@" --libs-only-L skiff | sed 's/^ *-L//; s/ .*//')
	out=$(LD_LIBRARY_PATH="$libdir" timeout 60 "./$name" --port net_null0,no-rx=1 \
		--addr 198.18.0.2/24 --log-level warn --file-prefix "skiff-$name-$$" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	[ $rc -eq 0 ] && grep -q "received 'hello' through skiff" <<<"$out"
}

echo "1..3"
export PKG_CONFIG_PATH="$build/meson-uninstalled"
check "hello.c built from the build tree (skiff-uninstalled.pc) runs" build_and_run hello-uninstalled

dest="$work/dest"
meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >"$work/install.log" 2>&1
pc=$(find "$dest" -name skiff.pc | head -1)
check "meson install --destdir installs skiff.pc, skiff.h and libskiff.so" \
	test -n "$pc" -a -n "$(find "$dest" -name skiff.h)" -a -n "$(find "$dest" -name 'libskiff.so')"
[ -n "$pc" ] || sed 's/^/# /' "$work/install.log"
# The installed skiff.pc says prefix=/usr/local; relocate it (and only it:
# --define-variable would move libdpdk's prefix too) into the scratch DESTDIR.
prefix=$(sed -n 's/^prefix=//p' "$pc" 2>/dev/null)
mkdir -p "$work/pc"
sed "s|^prefix=.*|prefix=$dest$prefix|" "$pc" >"$work/pc/skiff.pc" 2>/dev/null
export PKG_CONFIG_PATH="$work/pc"
check "hello.c built from the installed tree (skiff.pc) runs" build_and_run hello-installed
exit $tap_failed
