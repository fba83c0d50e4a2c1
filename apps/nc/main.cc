// skiff-nc: a tiny netcat over the socket shim, for tests and for people.
//
//   skiff-nc [skiff options] --connect ADDR PORT [--send-bytes N] [--sha256]
//   skiff-nc [skiff options] --listen PORT [--send-bytes N] [--sha256]
//
// It opens one TCP connection (actively, or by accepting the first one on
// PORT), sends N bytes of the test pattern (apps/httpd/pattern.h, the same
// bytes skiff-httpd serves at /bytes/N) or else what it reads on standard
// input, then shuts its side down for writing (SHUT_WR). Meanwhile it writes
// what it receives to standard output, or with --sha256 only the byte count
// and the SHA-256 of it ("67108864 9f86d0..."). It ends when the peer has
// closed its side and everything was sent. A summary goes to stderr.
//
// Two threads: this one receives, a second one sends, so that neither
// direction waits for the other (a peer that echoes would otherwise fill
// both windows and stall).

#include "../httpd/pattern.h"
#include "shim/skiff.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr size_t buf_size = 64 * 1024;

struct options {
	std::string connect_addr;
	sockaddr_storage peer = {}; ///< connect_addr and port, parsed
	socklen_t peer_len = 0;
	uint16_t port = 0;
	bool listen = false;
	bool send_pattern = false;
	uint64_t send_bytes = 0;
	bool sha256 = false;
};

void usage(FILE *f) {
	fprintf(f, "Usage: skiff-nc [skiff options] --connect ADDR PORT | --listen PORT\n"
	           "                [--send-bytes N] [--sha256]\n"
	           "  --connect ADDR PORT  open a TCP connection to ADDR (IPv4 or IPv6) port PORT\n"
	           "  --listen PORT        accept one TCP connection on PORT (IPv4 and IPv6)\n"
	           "  --send-bytes N       send N bytes of the test pattern instead of stdin\n"
	           "  --sha256             print '<bytes> <sha256>' of what was received\n"
	           "                       instead of the bytes\n");
}

bool parse_number(const char *text, uint64_t max, uint64_t &out) {
	char *end = nullptr;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || *text == '-' || v > max) {
		return false;
	}
	out = v;
	return true;
}

bool parse_port(const char *text, uint16_t &port) {
	uint64_t v = 0;
	if (!parse_number(text, 65535, v) || v == 0) {
		fprintf(stderr, "skiff-nc: '%s' is not a port (1-65535)\n", text);
		return false;
	}
	port = uint16_t(v);
	return true;
}

/// ADDR (a.b.c.d, x:y::z or [x:y::z]) and the port as a sockaddr.
bool parse_peer(options &o) {
	std::string host = o.connect_addr;
	if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
		host = host.substr(1, host.size() - 2);
	}
	auto *v4 = reinterpret_cast<sockaddr_in *>(&o.peer);
	auto *v6 = reinterpret_cast<sockaddr_in6 *>(&o.peer);
	if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(o.port);
		o.peer_len = sizeof(*v4);
	} else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(o.port);
		o.peer_len = sizeof(*v6);
	} else {
		fprintf(stderr, "skiff-nc: '%s' is not an IPv4 or IPv6 address\n", host.c_str());
		return false;
	}
	return true;
}

/// Take skiff-nc's own options out of argv; what remains goes to skiff_init().
/// Returns 0, 1 after --help (then pass --help on), -1 after an error line.
int parse_args(int argc, char **argv, options &o, std::vector<char *> &rest) {
	rest.push_back(argv[0]);
	bool help = false;
	for (int i = 1; i < argc; i++) {
		std::string a = argv[i];
		if (a == "--connect" && i + 2 < argc) {
			o.connect_addr = argv[++i];
			if (!parse_port(argv[++i], o.port)) {
				return -1;
			}
		} else if (a == "--listen" && i + 1 < argc) {
			o.listen = true;
			if (!parse_port(argv[++i], o.port)) {
				return -1;
			}
		} else if (a == "--send-bytes" && i + 1 < argc) {
			o.send_pattern = true;
			if (!parse_number(argv[++i], UINT64_MAX, o.send_bytes)) {
				fprintf(stderr,
				        "skiff-nc: --send-bytes needs a byte count, not '%s'\n",
				        argv[i]);
				return -1;
			}
		} else if (a == "--sha256") {
			o.sha256 = true;
		} else {
			help = help || a == "--help" || a == "-h";
			rest.push_back(argv[i]);
		}
	}
	rest.push_back(nullptr);
	if (help) {
		usage(stdout);
		return 1;
	}
	if (o.listen == !o.connect_addr.empty()) {
		fprintf(stderr,
		        "skiff-nc: give exactly one of --connect ADDR PORT and --listen PORT "
		        "(--help lists the options)\n");
		return -1;
	}
	return o.listen || parse_peer(o) ? 0 : -1;
}

double now_s() {
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

/// Block until `fd` is writable (or 100 ms passed): for a send that got
/// EAGAIN or ENOBUFS, whether the stack says "buffer full" or "pool empty".
void wait_writable(int ep) {
	epoll_event ev;
	skiff_epoll_wait(ep, &ev, 1, 100);
}

/// Send all of buf[0, len): false on an error other than a full buffer.
bool send_all(int fd, int ep, const uint8_t *buf, size_t len) {
	while (len > 0) {
		ssize_t n = skiff_send(fd, buf, len, 0);
		if (n > 0) {
			buf += n;
			len -= size_t(n);
		} else if (n < 0 && (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)) {
			if (skiff_stopping()) {
				return false;
			}
			wait_writable(ep);
		} else {
			fprintf(stderr, "skiff-nc: send: %s\n",
			        n == 0 ? "sent nothing" : strerror(errno));
			return false;
		}
	}
	return true;
}

struct sender {
	int fd;
	const options &opt;
	std::atomic<bool> done{false};
	bool ok = false;
	uint64_t sent = 0;
	double finished_at = 0;

	void run() {
		int ep = skiff_epoll_create1(0);
		epoll_event ev = {};
		ev.events = EPOLLOUT;
		if (ep < 0 || skiff_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			fprintf(stderr, "skiff-nc: epoll: %s\n", strerror(errno));
		} else {
			ok = opt.send_pattern ? send_pattern(ep) : send_stdin(ep);
		}
		// Half-close: the peer sees our FIN, and can still answer.
		if (ok && skiff_shutdown(fd, SHUT_WR) < 0) {
			fprintf(stderr, "skiff-nc: shutdown: %s\n", strerror(errno));
			ok = false;
		}
		if (ep >= 0) {
			skiff_close(ep);
		}
		finished_at = now_s();
		done = true;
	}

	bool send_pattern(int ep) {
		std::vector<uint8_t> buf(buf_size);
		while (sent < opt.send_bytes) {
			uint64_t left = opt.send_bytes - sent;
			size_t n = left < buf.size() ? size_t(left) : buf.size();
			skiff::apps::pattern_fill(buf.data(), sent, n);
			if (!send_all(fd, ep, buf.data(), n)) {
				return false;
			}
			sent += n;
		}
		return true;
	}

	bool send_stdin(int ep) {
		std::vector<uint8_t> buf(buf_size);
		for (;;) {
			ssize_t n = read(STDIN_FILENO, buf.data(), buf.size());
			if (n == 0) {
				return true;
			}
			if (n < 0) {
				if (errno == EINTR && !skiff_stopping()) {
					continue;
				}
				fprintf(stderr, "skiff-nc: stdin: %s\n", strerror(errno));
				return false;
			}
			if (!send_all(fd, ep, buf.data(), size_t(n))) {
				return false;
			}
			sent += uint64_t(n);
		}
	}
};

bool write_out(const uint8_t *p, size_t len) {
	while (len > 0) {
		ssize_t n = write(STDOUT_FILENO, p, len);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			return false;
		}
		p += n;
		len -= size_t(n);
	}
	return true;
}

/// Receive until the peer's FIN; false on a reset or another error.
bool receive_all(int fd, const options &opt, uint64_t &received) {
	crypto_hash_sha256_state sha;
	crypto_hash_sha256_init(&sha);
	std::vector<uint8_t> buf(buf_size);
	for (;;) {
		ssize_t n = skiff_recv(fd, buf.data(), buf.size(), 0);
		if (n == 0) {
			break;
		}
		if (n < 0) {
			if (errno == EINTR && !skiff_stopping()) {
				continue;
			}
			fprintf(stderr, "skiff-nc: recv: %s\n", strerror(errno));
			return false;
		}
		received += uint64_t(n);
		if (opt.sha256) {
			crypto_hash_sha256_update(&sha, buf.data(), size_t(n));
		} else if (!write_out(buf.data(), size_t(n))) {
			fprintf(stderr, "skiff-nc: stdout: %s\n", strerror(errno));
			return false;
		}
	}
	if (opt.sha256) {
		uint8_t digest[crypto_hash_sha256_BYTES];
		char hex[2 * crypto_hash_sha256_BYTES + 1];
		crypto_hash_sha256_final(&sha, digest);
		sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
		printf("%llu %s\n", (unsigned long long)received, hex);
		fflush(stdout);
	}
	return true;
}

/// The connected socket, by active open; -1 after an error line.
int open_connect(const options &o) {
	int fd = skiff_socket(o.peer.ss_family, SOCK_STREAM, 0);
	if (fd < 0 ||
	    skiff_connect(fd, reinterpret_cast<const sockaddr *>(&o.peer), o.peer_len) < 0) {
		fprintf(stderr, "skiff-nc: connect to %s port %u: %s\n", o.connect_addr.c_str(),
		        unsigned(o.port), strerror(errno));
		if (fd >= 0) {
			skiff_close(fd);
		}
		return -1;
	}
	return fd;
}

/// The first connection accepted on the port (IPv4 or IPv6); -1 after an error line.
int open_listen(const options &o) {
	int off = 0;
	int on = 1;
	sockaddr_in6 addr = {};
	addr.sin6_family = AF_INET6;
	addr.sin6_port = htons(o.port);
	int l = skiff_socket(AF_INET6, SOCK_STREAM, 0);
	if (l < 0 || skiff_setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)) < 0 ||
	    skiff_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    skiff_bind(l, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) < 0 ||
	    skiff_listen(l, 1) < 0) {
		fprintf(stderr, "skiff-nc: cannot listen on port %u: %s\n", unsigned(o.port),
		        strerror(errno));
		if (l >= 0) {
			skiff_close(l);
		}
		return -1;
	}
	fprintf(stderr, "skiff-nc: listening on port %u\n", unsigned(o.port));
	int fd;
	do {
		fd = skiff_accept(l, nullptr, nullptr);
	} while (fd < 0 && errno == EINTR && !skiff_stopping());
	if (fd < 0) {
		fprintf(stderr, "skiff-nc: accept: %s\n", strerror(errno));
	}
	skiff_close(l);
	return fd;
}

void report(const sender &s, uint64_t received, double start) {
	double end = now_s();
	double secs = end - start;
	double send_secs = s.done ? s.finished_at - start : secs;
	fprintf(stderr,
	        "skiff-nc: sent %llu bytes in %.3f s (%.1f Mbit/s), received %llu bytes in %.3f s "
	        "(%.1f Mbit/s)\n",
	        (unsigned long long)s.sent, send_secs,
	        send_secs > 0 ? double(s.sent) * 8 / send_secs / 1e6 : 0.0,
	        (unsigned long long)received, secs,
	        secs > 0 ? double(received) * 8 / secs / 1e6 : 0.0);
}

} // namespace

int main(int argc, char **argv) {
	options opt;
	std::vector<char *> rest;
	int rc = parse_args(argc, argv, opt, rest);
	if (rc < 0) {
		return 1;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "skiff-nc: libsodium failed to initialise\n");
		return 1;
	}
	rc = skiff_init(int(rest.size()) - 1, rest.data());
	if (rc != 0) {
		return rc < 0; // 1 after an error (already printed), 0 after --help
	}
	int fd = opt.listen ? open_listen(opt) : open_connect(opt);
	if (fd < 0) {
		skiff_fini();
		return 1;
	}
	double start = now_s();
	sender snd{fd, opt};
	std::thread t([&snd] { snd.run(); });
	uint64_t received = 0;
	bool ok = receive_all(fd, opt, received);
	if (opt.send_pattern || snd.done) {
		t.join(); // the pattern ends; stdin may never, as with netcat
		ok = ok && snd.ok;
	} else {
		t.detach();
	}
	report(snd, received, start);
	skiff_close(fd);
	skiff_fini();
	fflush(stdout);
	_exit(ok ? 0 : 1); // a detached reader of stdin must not hold us
}
