# Sourced by scripts/run and scripts/test: install what is missing from
# Debian 12's packages, quietly when nothing is.

skiff_packages=(
	g++ meson ninja-build pkg-config
	libdpdk-dev dpdk dpdk-dev            # DPDK 22.11, dpdk-testpmd, dpdk-telemetry.py
	libspdlog-dev libfmt-dev libcli11-dev
	libsodium-dev                        # SipHash for TCP ISNs and SYN cookies
	libgtest-dev libgmock-dev libbenchmark-dev
	clang libclang-rt-14-dev clang-format # the libFuzzer build and the format check
	python3 python3-scapy iproute2 iputils-ping tshark netcat-openbsd
	curl wget wrk procps                 # the TCP e2e tests' kernel-side clients, sysctl
	libpcap-dev nlohmann-json3-dev       # skiff-gen: pcap replay, JSON results
	dpdk-doc python3-matplotlib make     # scripts/bench: l3fwd's source, the chart, l3fwd's build
)

skiff_install_deps() {
	local missing=() p
	for p in "${skiff_packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "installing: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq >/dev/null
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configure (once) and build a tree. Usage: skiff_build DIR [meson options...]
skiff_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$@" >/dev/null || return 1
	fi
	ninja -C "$dir" -j"$(nproc)" >/dev/null || ninja -C "$dir" -j1
}
