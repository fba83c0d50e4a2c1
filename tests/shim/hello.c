/* The smallest skiff program, built outside the tree with
 *	cc hello.c $(pkg-config --cflags --libs skiff)
 * Run it with the usual options, e.g.
 *	./hello --port net_null0,no-rx=1 --addr 198.18.0.2/24
 * It sends itself one datagram through the stack and prints it. */
#include <skiff.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
	int rc = skiff_init(argc, argv);
	if (rc != 0) {
		return rc < 0;
	}
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(4000)};
	inet_pton(AF_INET, "198.18.0.2", &addr.sin_addr);
	struct timeval timeout = {.tv_sec = 2};
	int server = skiff_socket(AF_INET, SOCK_DGRAM, 0);
	int client = skiff_socket(AF_INET, SOCK_DGRAM, 0);
	char buf[32] = "";
	ssize_t n = -1;
	if (skiff_setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) == 0 &&
	    skiff_bind(server, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
	    skiff_sendto(client, "hello", 5, 0, (struct sockaddr *)&addr, sizeof(addr)) == 5) {
		n = skiff_recv(server, buf, sizeof(buf) - 1, 0);
	}
	if (n < 0) {
		fprintf(stderr, "hello: %s\n", strerror(errno));
	} else {
		printf("hello: received '%s' through skiff\n", buf);
	}
	skiff_close(client);
	skiff_close(server);
	skiff_fini();
	return n == 5 ? 0 : 1;
}
