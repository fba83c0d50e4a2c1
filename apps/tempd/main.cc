// skiff-tempd: the temperature service, the first skiff program to read.
//
// It answers "GET_TEMP" with the reading ("42 C" unless --reading says
// otherwise), and anything else with "ERR unknown request", over IPv4 and
// IPv6, on port 4000 twice:
//
// - UDP: one datagram in, one datagram out.
// - TCP: one request line in ("GET_TEMP\n" or "GET_TEMP\r\n"), the reply and
//   a newline out, then the server closes the connection.
//
// It uses only the socket shim, shim/skiff.h: the POSIX socket calls with a
// skiff_ prefix, so it reads as plain C. One thread waits on one epoll set
// that holds the UDP socket, the TCP listener and the TCP clients, all
// nonblocking.
//
//   skiff-tempd --port net_tap0,iface=sk0 --addr 198.18.0.2/24 --addr 2001:2::2/64
//   echo GET_TEMP | nc -u -w1 198.18.0.2 4000          (prints: 42 C)
//   echo GET_TEMP | nc -N 198.18.0.2 4000              (prints: 42 C)

#include "shim/skiff.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

enum { PORT = 4000, MAX_CLIENTS = 64, LINE_MAX_LEN = 64, CLIENT_TIMEOUT_S = 10, LINGER_S = 1 };

// A TCP client: its request line is still coming in, or it was answered and
// we wait for its FIN before closing.
struct client {
	int fd;       // -1: a free slot
	int answered; // 1: answered and shut; 2: the client's FIN is in too (lingering)
	size_t len;
	char line[LINE_MAX_LEN];
	time_t deadline;
};

static const char *reading = "42 C";
static struct client clients[MAX_CLIENTS];
static int ep = -1; // the epoll set

// The answer to one request, without its line ending ("GET_TEMP\r\n" and
// `echo GET_TEMP | nc -u`, which sends a newline too, are both GET_TEMP).
static const char *answer(const char *req, size_t n) {
	while (n > 0 && (req[n - 1] == '\n' || req[n - 1] == '\r')) {
		n--;
	}
	return n == 8 && memcmp(req, "GET_TEMP", 8) == 0 ? reading : "ERR unknown request";
}

// One dual-stack socket serves both families: with IPV6_V6ONLY off, IPv4
// clients show up as v4-mapped addresses (::ffff:198.18.0.1).
static int open_socket(int type) {
	int fd = skiff_socket(AF_INET6, type | SOCK_NONBLOCK, 0);
	int v6only = 0;
	int on = 1;
	struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_port = htons(PORT)}; // [::]:4000
	if (fd < 0 ||
	    skiff_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0 ||
	    skiff_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    skiff_bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    (type == SOCK_STREAM && skiff_listen(fd, 64) < 0)) {
		int err = errno;
		if (fd >= 0) {
			skiff_close(fd);
		}
		errno = err;
		return -1;
	}
	return fd;
}

static int watch(int fd) {
	struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = fd}};
	return skiff_epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

// Answer every queued datagram.
static void serve_udp(int fd) {
	for (;;) {
		char req[64];
		struct sockaddr_in6 from;
		socklen_t from_len = sizeof(from);
		ssize_t n =
		    skiff_recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&from, &from_len);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR) {
				fprintf(stderr, "skiff-tempd: recvfrom: %s\n", strerror(errno));
			}
			return;
		}
		const char *reply = answer(req, (size_t)n);
		skiff_sendto(fd, reply, strlen(reply), 0, (struct sockaddr *)&from, from_len);
	}
}

static struct client *find_client(int fd) {
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].fd == fd) {
			return &clients[i];
		}
	}
	return NULL;
}

static void drop_client(struct client *c) {
	skiff_close(c->fd); // also leaves the epoll set
	c->fd = -1;
}

// Both sides are done: keep the socket a little longer, out of the epoll
// set, so that the client's last ACK still finds it (and no reset can
// overtake the answer), then expire_clients() closes it.
static void linger(struct client *c) {
	skiff_epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	c->answered = 2;
	c->deadline = time(NULL) + LINGER_S;
}

// Answer and shut our side: the reply is a few bytes, so one nonblocking
// send takes it whole into an empty send buffer, and our FIN follows it.
// The socket stays open until the client's FIN is in (serve_client), so
// that nothing the client still sends meets a closed socket and a reset,
// which could destroy the reply before the client has read it.
static void reply_and_shut(struct client *c, int peer_done) {
	const char *reply = answer(c->line, c->len);
	char out[LINE_MAX_LEN + 2];
	int n = snprintf(out, sizeof(out), "%s\n", reply);
	if (skiff_send(c->fd, out, (size_t)n, 0) != n || skiff_shutdown(c->fd, SHUT_WR) < 0) {
		drop_client(c);
		return;
	}
	c->answered = 1;
	c->deadline = time(NULL) + CLIENT_TIMEOUT_S;
	if (peer_done) {
		linger(c);
	}
}

// Take new connections into free slots; with none free, the connection is
// closed at once (the client sees its FIN and no answer).
static void accept_clients(int listener) {
	for (;;) {
		int fd = skiff_accept(listener, NULL, NULL);
		if (fd < 0) {
			return; // EAGAIN: no more waiting
		}
		struct client *c = find_client(-1);
		if (!c || skiff_fcntl(fd, F_SETFL, O_NONBLOCK) < 0 || watch(fd) < 0) {
			skiff_close(fd);
			continue;
		}
		c->fd = fd;
		c->answered = 0;
		c->len = 0;
		c->deadline = time(NULL) + CLIENT_TIMEOUT_S;
	}
}

// Read what the client sent; answer on the end of the line, a full buffer,
// or the client's FIN (a last line without a newline counts). After the
// answer, whatever else comes is read and ignored until the FIN.
static void serve_client(struct client *c) {
	for (;;) {
		char *to = c->answered ? c->line : c->line + c->len;
		size_t room = c->answered ? sizeof(c->line) : sizeof(c->line) - c->len;
		ssize_t n = skiff_recv(c->fd, to, room, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			return; // more to come
		}
		if (n < 0) {
			drop_client(c); // a reset
			return;
		}
		if (n == 0 && c->answered) {
			linger(c); // the FIN after our answer
			return;
		}
		if (c->answered) {
			continue;
		}
		char *lf = (char *)memchr(c->line + c->len, '\n', (size_t)n);
		c->len += (size_t)n;
		if (lf) {
			c->len = (size_t)(lf - c->line + 1);
		}
		if (n == 0 || lf || c->len == sizeof(c->line)) {
			reply_and_shut(c, n == 0);
			if (c->fd < 0 || c->answered == 2) {
				return;
			}
		}
	}
}

// Clients that sent no full line in time are closed without an answer,
// answered ones that never sent their FIN are closed anyway, and lingering
// ones are closed for good.
static void expire_clients(void) {
	time_t now = time(NULL);
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].fd >= 0 && now > clients[i].deadline) {
			drop_client(&clients[i]);
		}
	}
}

int main(int argc, char **argv) {
	skiff_add_option("--reading", &reading, "What GET_TEMP answers");
	int rc = skiff_init(argc, argv); // --port, --addr, --lcores: as every skiff app
	if (rc != 0) {
		return rc < 0; // 1 after an error (already printed), 0 after --help
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		clients[i].fd = -1;
	}

	ep = skiff_epoll_create1(0);
	int udp = open_socket(SOCK_DGRAM);
	if (ep < 0 || udp < 0 || watch(udp) < 0) {
		fprintf(stderr, "skiff-tempd: cannot serve UDP port %d: %s\n", PORT,
		        strerror(errno));
		skiff_fini();
		return 1;
	}
	// Without TCP in the stack, the UDP service goes on alone.
	int tcp = open_socket(SOCK_STREAM);
	if (tcp < 0 || watch(tcp) < 0) {
		fprintf(stderr, "skiff-tempd: not serving TCP port %d: %s\n", PORT,
		        strerror(errno));
	}

	while (!skiff_stopping()) { // SIGINT, SIGTERM or --duration
		struct epoll_event events[16];
		// The timeout is the tick for looking at skiff_stopping() and deadlines.
		int n = skiff_epoll_wait(ep, events, 16, 200);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "skiff-tempd: epoll_wait: %s\n", strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int fd = events[i].data.fd;
			struct client *c;
			if (fd == udp) {
				serve_udp(udp);
			} else if (fd == tcp) {
				accept_clients(tcp);
			} else if ((c = find_client(fd)) != NULL) {
				serve_client(c);
			}
		}
		expire_clients();
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i].fd >= 0) {
			drop_client(&clients[i]);
		}
	}
	if (tcp >= 0) {
		skiff_close(tcp);
	}
	skiff_close(udp);
	skiff_close(ep);
	skiff_fini();
	return 0;
}
