// rte_pcapng is experimental in DPDK 22.11.
#define ALLOW_EXPERIMENTAL_API 1

#include "port/capture.h"

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_pcapng.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bitset>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace skiff {

namespace {

constexpr uint16_t copy_burst = 32;
constexpr size_t unknown_port = RTE_MAX_ETHPORTS; ///< counter slot for ports not in the file

/// One lcore's counters, on its own cache lines. Non-EAL threads share
/// the last slot, hence atomics (uncontended on EAL lcores).
struct alignas(RTE_CACHE_LINE_SIZE) lcore_counts {
	std::array<std::atomic<uint64_t>, RTE_MAX_ETHPORTS + 1> written{};
	std::array<std::atomic<uint64_t>, RTE_MAX_ETHPORTS + 1> dropped{};
};

uint64_t now_ns() {
	timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

/// TSC to wall-clock nanoseconds from a reference taken at open. Read-only
/// after open, so workers convert without sharing writable state.
struct tsc_clock {
	uint64_t tsc0 = 0;
	uint64_t ns0 = 0;
	uint64_t hz = 1;

	uint64_t ns(uint64_t tsc) const {
		uint64_t delta = tsc - tsc0;
		return ns0 + delta / hz * 1000000000ull + delta % hz * 1000000000ull / hz;
	}
};

/// Overwrite the timestamp of the Enhanced Packet Block rte_pcapng_copy()
/// put at the head of @p copy (words: type, length, interface, ts high,
/// ts low). 22.11 converts TSC to time against a reference it moves
/// forward without locking and takes lazily on first use, so a TSC read
/// just before that (or on another lcore) comes out in the year 2251.
void stamp(rte_mbuf *copy, uint64_t ns) {
	if (rte_pktmbuf_data_len(copy) < 5 * sizeof(uint32_t)) {
		return;
	}
	auto *w = rte_pktmbuf_mtod(copy, uint32_t *);
	w[3] = static_cast<uint32_t>(ns >> 32);
	w[4] = static_cast<uint32_t>(ns);
}

std::string os_name() {
	utsname u;
	if (uname(&u) != 0) {
		return "Linux";
	}
	return std::string(u.sysname) + " " + u.release;
}

} // namespace

struct pcap_capture::state {
	rte_pcapng_t *file = nullptr;
	rte_mempool *pool = nullptr;
	uint32_t snaplen = UINT32_MAX;
	uint64_t start_ns = 0;
	tsc_clock clock;
	std::string path;
	std::bitset<RTE_MAX_ETHPORTS> ports; ///< ports with an interface block
	std::array<lcore_counts, RTE_MAX_LCORE + 1> counts;

	lcore_counts &mine() {
		unsigned lcore = rte_lcore_id();
		return counts[lcore < RTE_MAX_LCORE ? lcore : RTE_MAX_LCORE];
	}

	uint64_t sum(bool dropped, size_t port) const {
		uint64_t total = 0;
		for (const lcore_counts &c : counts) {
			total +=
			    (dropped ? c.dropped : c.written)[port].load(std::memory_order_relaxed);
		}
		return total;
	}
};

pcap_capture::pcap_capture(std::unique_ptr<state> s) : _s(std::move(s)) {}
pcap_capture::pcap_capture(pcap_capture &&) noexcept = default;

pcap_capture &pcap_capture::operator=(pcap_capture &&other) noexcept {
	if (this != &other) {
		close();
		_s = std::move(other._s);
	}
	return *this;
}

pcap_capture::~pcap_capture() {
	close();
}

result<pcap_capture> pcap_capture::open(const std::string &path, rte_mempool *copy_pool,
                                        uint32_t snaplen) {
	if (copy_pool == nullptr) {
		return make_error(-EINVAL,
		                  "capture '" + path +
		                      "': no mbuf pool for packet copies; create one first");
	}
	int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0) {
		int err = errno;
		return make_error(-err, "cannot create capture file '" + path +
		                            "': " + std::strerror(err) + "; pick a writable path");
	}
	std::string os = os_name();
	rte_pcapng_t *file = rte_pcapng_fdopen(fd, os.c_str(), nullptr, "skiff", nullptr);
	if (file == nullptr) {
		int err = rte_errno;
		::close(fd);
		return make_error(-err, "cannot write capture header to '" + path +
		                            "': " + rte_strerror(err));
	}
	auto s = std::make_unique<state>();
	s->file = file;
	s->pool = copy_pool;
	s->snaplen = snaplen;
	s->clock.tsc0 = rte_get_tsc_cycles();
	s->start_ns = now_ns();
	s->clock.ns0 = s->start_ns;
	s->clock.hz = std::max<uint64_t>(rte_get_tsc_hz(), 1);
	s->path = path;
	uint16_t id;
	RTE_ETH_FOREACH_DEV(id) {
		s->ports.set(id);
	}
	spdlog::info("capture: writing {} ({} interfaces)", path, s->ports.count());
	return pcap_capture(std::move(s));
}

void pcap_capture::record(uint16_t port, uint16_t queue, rte_mbuf *const *pkts, uint16_t n,
                          bool outbound) {
	if (!_s || n == 0) {
		return;
	}
	lcore_counts &cnt = _s->mine();
	if (port >= RTE_MAX_ETHPORTS || !_s->ports.test(port)) {
		cnt.dropped[unknown_port].fetch_add(n, std::memory_order_relaxed);
		return;
	}
	const rte_pcapng_direction dir =
	    outbound ? RTE_PCAPNG_DIRECTION_OUT : RTE_PCAPNG_DIRECTION_IN;
	const uint64_t tsc = rte_get_tsc_cycles();
	const uint64_t ns = _s->clock.ns(tsc);
	rte_mbuf *copies[copy_burst];
	for (uint16_t done = 0; done < n;) {
		uint16_t chunk = std::min<uint16_t>(n - done, copy_burst);
		uint16_t ok = 0;
		for (uint16_t i = 0; i < chunk; i++) {
			rte_mbuf *c = rte_pcapng_copy(port, queue, pkts[done + i], _s->pool,
			                              _s->snaplen, tsc, dir);
			if (c != nullptr) {
				stamp(c, ns);
				copies[ok++] = c;
			}
		}
		uint64_t lost = chunk - ok;
		// Despite its header comment, 22.11's rte_pcapng_write_packets()
		// does not free the copies (dpdk-dumpcap frees them itself).
		if (ok > 0) {
			ssize_t rc = rte_pcapng_write_packets(_s->file, copies, ok);
			rte_pktmbuf_free_bulk(copies, ok);
			if (rc < 0) {
				lost += ok;
				ok = 0;
			}
		}
		cnt.written[port].fetch_add(ok, std::memory_order_relaxed);
		cnt.dropped[port].fetch_add(lost, std::memory_order_relaxed);
		done += chunk;
	}
}

uint64_t pcap_capture::written() const {
	uint64_t total = 0;
	for (size_t p = 0; _s && p <= RTE_MAX_ETHPORTS; p++) {
		total += _s->sum(false, p);
	}
	return total;
}

uint64_t pcap_capture::dropped() const {
	uint64_t total = 0;
	for (size_t p = 0; _s && p <= RTE_MAX_ETHPORTS; p++) {
		total += _s->sum(true, p);
	}
	return total;
}

void pcap_capture::close() {
	if (!_s) {
		return;
	}
	uint64_t end = now_ns();
	for (uint16_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		if (!_s->ports.test(p) || !rte_eth_dev_is_valid_port(p)) {
			continue;
		}
		uint64_t written = _s->sum(false, p);
		uint64_t dropped = _s->sum(true, p);
		rte_pcapng_write_stats(_s->file, p, nullptr, _s->start_ns, end, written + dropped,
		                       dropped);
	}
	rte_pcapng_close(_s->file);
	spdlog::info("capture: closed {} ({} packets, {} dropped)", _s->path, written(), dropped());
	_s.reset();
}

} // namespace skiff
