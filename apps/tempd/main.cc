// skiff-tempd: the temperature service, the first skiff program to read.
//
// It answers the datagram "GET_TEMP" on UDP port 4000 with the reading ("42 C"
// unless --reading says otherwise), over IPv4 and IPv6, and anything else with
// "ERR unknown request". It uses only the socket shim, shim/skiff.h: the POSIX
// socket calls with a skiff_ prefix, so it reads as plain C.
//
//   skiff-tempd --port net_tap0,iface=sk0 --addr 198.18.0.2/24 --addr 2001:2::2/64
//   echo GET_TEMP | nc -u -w1 198.18.0.2 4000          (prints: 42 C)

#include "shim/skiff.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
	const char *reading = "42 C";
	skiff_add_option("--reading", &reading, "What GET_TEMP answers");
	int rc = skiff_init(argc, argv); // --port, --addr, --lcores: as every skiff app
	if (rc != 0) {
		return rc < 0; // 1 after an error (already printed), 0 after --help
	}

	// One IPv6 socket serves both families: with IPV6_V6ONLY off, IPv4
	// clients show up as v4-mapped addresses (::ffff:198.18.0.1).
	int fd = skiff_socket(AF_INET6, SOCK_DGRAM, 0);
	int v6only = 0;
	struct timeval tick = {.tv_sec = 0, .tv_usec = 200000}; // to look at skiff_stopping()
	struct sockaddr_in6 addr = {.sin6_family = AF_INET6, .sin6_port = htons(4000)}; // [::]:4000
	if (fd < 0 ||
	    skiff_setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0 ||
	    skiff_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof(tick)) < 0 ||
	    skiff_bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		fprintf(stderr, "skiff-tempd: cannot serve UDP port 4000: %s\n", strerror(errno));
		skiff_fini();
		return 1;
	}

	while (!skiff_stopping()) { // SIGINT, SIGTERM or --duration
		char req[64];
		struct sockaddr_in6 from;
		socklen_t from_len = sizeof(from);
		ssize_t n =
		    skiff_recvfrom(fd, req, sizeof(req), 0, (struct sockaddr *)&from, &from_len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			continue; // the tick, or a signal
		}
		if (n < 0) {
			fprintf(stderr, "skiff-tempd: recvfrom: %s\n", strerror(errno));
			break;
		}
		while (n > 0 && (req[n - 1] == '\n' || req[n - 1] == '\r')) {
			n--; // `echo GET_TEMP | nc -u` sends a newline too
		}
		const char *reply =
		    n == 8 && memcmp(req, "GET_TEMP", 8) == 0 ? reading : "ERR unknown request";
		skiff_sendto(fd, reply, strlen(reply), 0, (struct sockaddr *)&from, from_len);
	}
	skiff_close(fd);
	skiff_fini();
	return 0;
}
