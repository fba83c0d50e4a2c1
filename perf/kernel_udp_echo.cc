// kernel-udp-echo: the work of `skiff-echo --client`, done by Linux kernel UDP
// sockets over loopback, for a side-by-side comparison (perf/udp_echo_bench.sh).
//
// A server thread echoes with recvmmsg/sendmmsg on 127.0.0.1 (or ::1 with
// --ipv6). A client thread on a connected socket keeps --window datagrams of
// --size bytes in flight for --duration seconds (after --warmup). Each
// datagram carries a sequence number and a timestamp. The client prints the
// same metrics as skiff-echo, in the same format (apps/echo/echo_stats.h).
// Both threads block in recvmmsg by default; --busy-poll makes them spin
// with MSG_DONTWAIT instead, as skiff's lcores do.
//
//   kernel-udp-echo --duration 5 --window 32 --size 64 --server-cpu 0 --client-cpu 1

#include "echo_stats.h"
#include "kernel_echo_common.h"

#include <CLI/CLI.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>
#include <vector>

namespace {

using namespace skiff::kernel_echo;

constexpr const char *prog = "kernel-udp-echo";
constexpr unsigned max_batch = 64;
constexpr unsigned max_size = 1500;

struct config : loopback_options {
	unsigned size = 64;
	unsigned window = 32;
	double duration = 5;
	double warmup = 0.5;
	double timeout = 1;
	unsigned batch = 32;
};

struct probe {
	uint64_t seq;
	uint64_t ns; ///< when the client sent it (CLOCK_MONOTONIC)
	uint32_t slot;
	uint32_t magic;
};
constexpr uint32_t probe_magic = 0x6b656563; // "keec"

// A socket with a receive timeout, so that blocked threads look at the stop
// flag and the client's timers at least every 10 ms.
int make_socket(const config &cfg) {
	int fd = socket(cfg.ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		return -1;
	}
	timeval tv{0, 10'000};
	int buf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return fd;
}

/// recvmmsg/sendmmsg buffers for one thread.
struct batch_buffers {
	explicit batch_buffers(unsigned n) : data(n * max_size), iov(n), names(n), msgs(n) {
		for (unsigned i = 0; i < n; i++) {
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
		}
	}
	/// Ready `n` entries for a receive: full buffers, room for addresses.
	void arm(unsigned n, bool names_wanted) {
		for (unsigned i = 0; i < n; i++) {
			iov[i] = {&data[i * max_size], max_size};
			msgs[i].msg_hdr.msg_name = names_wanted ? &names[i] : nullptr;
			msgs[i].msg_hdr.msg_namelen = names_wanted ? sizeof(names[i]) : 0;
		}
	}
	uint8_t *at(unsigned i) { return &data[i * max_size]; }

	std::vector<uint8_t> data;
	std::vector<iovec> iov;
	std::vector<sockaddr_storage> names;
	std::vector<mmsghdr> msgs;
};

void serve(int fd, const config &cfg, std::atomic<bool> &stop) {
	pin_thread(prog, cfg.server_cpu, "server");
	batch_buffers b(cfg.batch);
	int flags = cfg.busy_poll ? MSG_DONTWAIT : MSG_WAITFORONE;
	while (!stop.load(std::memory_order_relaxed)) {
		b.arm(cfg.batch, true);
		int n = recvmmsg(fd, b.msgs.data(), cfg.batch, flags, nullptr);
		if (n <= 0) {
			continue; // timeout (EAGAIN) or signal: look at the stop flag
		}
		for (int i = 0; i < n; i++) {
			b.iov[i].iov_len =
			    b.msgs[i].msg_len; // send back what came in, to its sender
		}
		sendmmsg(fd, b.msgs.data(), unsigned(n), 0);
	}
}

class client {
public:
	client(const config &cfg, int fd)
	    : _cfg(cfg), _fd(fd), _slots(cfg.window), _out(cfg.window) {}

	skiff::echo::run_result run() {
		pin_thread(prog, _cfg.client_cpu, "client");
		uint64_t start = now_ns();
		uint64_t measure_at = start + ns_of(_cfg.warmup);
		uint64_t end_at = measure_at + ns_of(_cfg.duration);
		uint64_t timeout = ns_of(_cfg.timeout);
		batch_buffers in(_cfg.batch);
		int flags = _cfg.busy_poll ? MSG_DONTWAIT : MSG_WAITFORONE;
		uint64_t measured_from = 0, measured_to = 0;
		for (uint32_t s = 0; s < _cfg.window; s++) {
			queue(s, start);
		}
		flush();
		for (;;) {
			uint64_t now = now_ns();
			if (!_measuring && !measured_from && now >= measure_at) {
				_measuring = true;
				measured_from = now;
			}
			if (_measuring && now >= end_at) {
				_measuring = false;
				_draining = true;
				measured_to = now;
			}
			if (_draining && (_outstanding == 0 || now >= end_at + timeout)) {
				break;
			}
			expire(now, timeout);
			in.arm(_cfg.batch, false);
			int n = recvmmsg(_fd, in.msgs.data(), _cfg.batch, flags, nullptr);
			now = now_ns();
			for (int i = 0; i < n; i++) {
				reply(in.at(unsigned(i)), in.msgs[i].msg_len, now);
			}
			flush();
		}
		skiff::echo::run_result r;
		r.impl = "kernel";
		r.size = _cfg.size;
		r.window = _cfg.window;
		r.seconds = double(measured_to - measured_from) / 1e9;
		r.round_trips = _round_trips;
		r.lost = _lost;
		r.rtt = _rtt;
		r.unit_ns = 1;
		return r;
	}

	uint64_t stale() const { return _stale; }

private:
	struct slot {
		uint64_t seq = 0;
		uint64_t sent = 0;
		bool busy = false;
	};

	void reply(const uint8_t *data, unsigned len, uint64_t now) {
		probe p;
		if (len < sizeof(p)) {
			_stale++;
			return;
		}
		std::memcpy(&p, data, sizeof(p));
		if (p.magic != probe_magic || p.slot >= _cfg.window || !_slots[p.slot].busy ||
		    _slots[p.slot].seq != p.seq) {
			_stale++;
			return;
		}
		if (_measuring) {
			_rtt.add(now - p.ns);
			_round_trips++;
		}
		_slots[p.slot].busy = false;
		_outstanding--;
		if (!_draining) {
			queue(p.slot, now); // the payload is in the slot's buffer already
		}
	}

	void expire(uint64_t now, uint64_t timeout) {
		for (uint32_t s = 0; s < _cfg.window; s++) {
			if (_slots[s].busy && now - _slots[s].sent > timeout) {
				_slots[s].busy = false;
				_outstanding--;
				_lost += _measuring;
				if (!_draining) {
					queue(s, now);
				}
			}
		}
	}

	// Stamp slot `s`'s datagram and stage it for the next sendmmsg.
	void queue(uint32_t s, uint64_t now) {
		std::vector<uint8_t> &buf = _out[s];
		if (buf.size() != _cfg.size) {
			buf.assign(_cfg.size, 0);
		}
		probe p{_next_seq++, now, s, probe_magic};
		std::memcpy(buf.data(), &p, sizeof(p));
		_slots[s] = {p.seq, now, true};
		_outstanding++;
		_pending.push_back(s);
	}

	void flush() {
		size_t done = 0;
		while (done < _pending.size()) {
			unsigned n = unsigned(std::min<size_t>(_pending.size() - done, max_batch));
			mmsghdr msgs[max_batch] = {};
			iovec iov[max_batch];
			for (unsigned i = 0; i < n; i++) {
				iov[i] = {_out[_pending[done + i]].data(), _cfg.size};
				msgs[i].msg_hdr.msg_iov = &iov[i];
				msgs[i].msg_hdr.msg_iovlen = 1;
			}
			int sent = sendmmsg(_fd, msgs, n, 0);
			if (sent <= 0) {
				// ENOBUFS and the like: these stay busy and time out as lost.
				break;
			}
			done += unsigned(sent);
		}
		_pending.clear();
	}

	config _cfg;
	int _fd;
	std::vector<slot> _slots;
	std::vector<std::vector<uint8_t>> _out; ///< one payload buffer per slot
	std::vector<uint32_t> _pending;         ///< slots to send on the next flush
	bool _measuring = false, _draining = false;
	uint32_t _outstanding = 0;
	uint64_t _next_seq = 1;
	uint64_t _round_trips = 0, _lost = 0, _stale = 0;
	skiff::echo::latency_histogram _rtt;
};

} // namespace

int main(int argc, char **argv) {
	config cfg;
	CLI::App app{"kernel-udp-echo: a UDP echo server and a measuring client on Linux kernel "
	             "sockets over loopback (the comparison for skiff-echo --client)"};
	app.name(prog);
	app.add_option("--size", cfg.size, "UDP payload bytes")->capture_default_str();
	app.add_option("--window", cfg.window, "Datagrams kept in flight")->capture_default_str();
	app.add_option("--duration", cfg.duration, "Seconds measured")->capture_default_str();
	app.add_option("--warmup", cfg.warmup, "Seconds before measuring")->capture_default_str();
	app.add_option("--batch", cfg.batch, "Datagrams per recvmmsg/sendmmsg call")
	    ->capture_default_str();
	skiff::kernel_echo::add_loopback_options(app, cfg);
	try {
		app.parse(argc, argv);
	} catch (const CLI::ParseError &e) {
		return app.exit(e);
	}
	if (cfg.size < sizeof(probe) || cfg.size > max_size - 48 || cfg.window == 0 ||
	    cfg.window > 65536 || cfg.batch == 0 || cfg.batch > max_batch) {
		std::fprintf(stderr, "%s: need --size %zu..%u, --window 1..65536, --batch 1..%u\n",
		             prog, sizeof(probe), max_size - 48, max_batch);
		return 1;
	}
	int sfd = make_socket(cfg), cfd = make_socket(cfg);
	sockaddr_storage any = loopback(cfg.ipv6, 0);
	sockaddr_storage bound{};
	socklen_t len = sizeof(bound);
	if (sfd < 0 || cfd < 0 ||
	    bind(sfd, reinterpret_cast<sockaddr *>(&any), addr_len(cfg.ipv6)) != 0 ||
	    getsockname(sfd, reinterpret_cast<sockaddr *>(&bound), &len) != 0 ||
	    connect(cfd, reinterpret_cast<sockaddr *>(&bound), len) != 0) {
		std::fprintf(stderr, "%s: cannot set up the loopback sockets: %s\n", prog,
		             strerror(errno));
		return 1;
	}
	std::printf("kernel-udp-echo: server thread on CPU %d, client thread on CPU %d, %s over "
	            "%s; %.1f s warm-up, then %.1f s measured\n",
	            cfg.server_cpu, cfg.client_cpu, cfg.busy_poll ? "busy-polling" : "blocking",
	            cfg.ipv6 ? "::1" : "127.0.0.1", cfg.warmup, cfg.duration);
	std::atomic<bool> stop{false};
	std::thread server([&] { serve(sfd, cfg, stop); });
	client c(cfg, cfd);
	skiff::echo::run_result r;
	std::thread client_thread([&] { r = c.run(); });
	client_thread.join();
	stop.store(true);
	server.join();
	close(sfd);
	close(cfd);
	std::printf("kernel-udp-echo: late or stray echoes %lu\n", (unsigned long)c.stale());
	skiff::echo::print_result(stdout, r);
	return r.round_trips > 0 ? 0 : 1;
}
