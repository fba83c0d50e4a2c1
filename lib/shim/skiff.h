#pragma once

/*
 * The skiff socket shim: the POSIX socket calls, with a skiff_ prefix, over
 * the kernel-bypass stack. One header, usable from C and C++.
 *
 *	if (skiff_init(argc, argv) != 0) {   // the same options as the apps
 *		return 1;
 *	}
 *	int fd = skiff_socket(AF_INET6, SOCK_DGRAM, 0);
 *	skiff_bind(fd, (struct sockaddr *)&addr, sizeof(addr));
 *	n = skiff_recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
 *	...
 *	skiff_close(fd);
 *	skiff_fini();
 *
 * Conventions, as POSIX: calls return -1 and set errno on failure. Types,
 * flags and constants are the system's own (struct sockaddr_in6, socklen_t,
 * SOCK_NONBLOCK, MSG_DONTWAIT, SO_RCVTIMEO, EPOLLIN, ...).
 *
 * Descriptors: skiff descriptors are not kernel descriptors; pass them only
 * to skiff_ calls. Sockets are numbered from 1000, epoll instances from
 * SKIFF_EPOLL_FD_BASE, so a mix-up fails with EBADF instead of touching the
 * wrong object.
 *
 * Threads: any thread may make any call. Calls from a thread that is not a
 * stack lcore hand datagrams to a worker over a lock-free ring; calls made
 * on a stack lcore send directly. Every call takes the socket layer's
 * control mutex once or twice (a nonblocking recv or a send costs ~100 ns);
 * the data plane never takes it. Blocking calls sleep on a futex, so a
 * blocked thread costs no CPU.
 *
 * UDP (SOCK_DGRAM) and TCP (SOCK_STREAM). A TCP connection lives on one
 * worker core; the calling thread and that core meet in lock-free byte
 * rings, so send() and recv() on a stream copy into and out of those rings
 * and never wait for the network unless the socket blocks.
 */

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Epoll descriptors are SKIFF_EPOLL_FD_BASE and up; sockets are below. */
#define SKIFF_EPOLL_FD_BASE (1 << 20)

/* ---- start-up and shutdown ------------------------------------------- */

/**
 * Register an application option before skiff_init(), so that one command
 * line carries both: `--reading "21 C"` sets *value to "21 C" (the string
 * stays valid until the process exits) and --help lists it.
 * @param name  the long option, e.g. "--reading"
 * @param value where the value goes; keeps its initial value as the default
 * @param help  one line for --help
 * @return 0, or -1 with errno EINVAL (bad name, or after skiff_init).
 */
int skiff_add_option(const char *name, const char **value, const char *help);

/**
 * Parse the common skiff options (--port, --addr, --lcores, --log-level, ...
 * see lib/env/README.md), bring up the EAL, the ports and the stack, and start
 * polling in the background: one worker on every --lcores entry but the
 * first, and the main lcore's worker on a thread of its own, so the calling
 * thread stays free. Once per process.
 * @return 0 when the stack is up; 1 after --help was printed (exit with 0);
 *         -1 with errno (EINVAL bad option, ENOMEM, EALREADY, ...) after
 *         printing one line that says what to fix.
 */
int skiff_init(int argc, char **argv);

/**
 * Close every socket and epoll instance (blocked calls return with EBADF),
 * stop the workers and tear the stack and the EAL down. Safe to call twice.
 */
void skiff_fini(void);

/** Non-zero after SIGINT or SIGTERM, after --duration, or from skiff_fini(). */
int skiff_stopping(void);

/* ---- sockets ------------------------------------------------------------ */

/**
 * A UDP socket: domain AF_INET or AF_INET6 (dual stack unless IPV6_V6ONLY),
 * type SOCK_DGRAM, optionally | SOCK_NONBLOCK (| SOCK_CLOEXEC is ignored).
 * @return the descriptor, or -1: EAFNOSUPPORT, EPROTONOSUPPORT, EMFILE,
 *         ENOBUFS, ENETDOWN (skiff_init() not called).
 */
int skiff_socket(int domain, int type, int protocol);

/**
 * Bind to a local address of the stack (or the wildcard) and port; port 0
 * picks one from the ephemeral range.
 * @return 0, or -1: EADDRINUSE, EADDRNOTAVAIL, EINVAL (already bound, bad
 *         length or family), EBADF.
 */
int skiff_bind(int fd, const struct sockaddr *addr, socklen_t len);

/**
 * Accept TCP connections on every core (backlog: SYN queue + accept queue,
 * 1..4096; SYN cookies answer beyond it). Binds an ephemeral port if unbound.
 * @return 0, or -1: EOPNOTSUPP (a datagram socket), EINVAL (connected),
 *         ENOBUFS, EBADF.
 */
int skiff_listen(int fd, int backlog);

/**
 * The next established connection; blocks unless the listener is
 * nonblocking (then EAGAIN), up to SO_RCVTIMEO.
 * @return a descriptor, or -1: EAGAIN, EINVAL (not listening), EOPNOTSUPP
 *         (a datagram socket), EBADF.
 */
int skiff_accept(int fd, struct sockaddr *addr, socklen_t *len);

/**
 * UDP: fix the peer: send() goes there, and only its datagrams are received
 * (demultiplexed on the full 4-tuple). Binds an ephemeral port if unbound.
 * TCP: the active open. The source port is one the port's RSS steers back
 * to the core that owns the connection. A blocking socket waits for the
 * handshake (up to SO_SNDTIMEO); a nonblocking one returns EINPROGRESS and
 * becomes writable (EPOLLOUT, SO_ERROR 0) once connected.
 * @return 0, or -1: EINVAL, ENETUNREACH, EADDRINUSE, EADDRNOTAVAIL,
 *         EINPROGRESS, EALREADY, EISCONN, ECONNREFUSED, ETIMEDOUT, EBADF.
 */
int skiff_connect(int fd, const struct sockaddr *addr, socklen_t len);

/**
 * UDP: send one datagram. Never blocks: -1 with ENOBUFS when the mbuf pool
 * or the worker's queue is full (retry later), EMSGSIZE above one mbuf,
 * EDESTADDRREQ when neither connected nor given an address, ENETUNREACH,
 * EPIPE after shutdown(SHUT_WR), EBADF, EINVAL. Flags: MSG_DONTWAIT.
 * TCP: a blocking socket takes all of buf (waiting for room, up to
 * SO_SNDTIMEO); a nonblocking one takes what fits or fails with EAGAIN, or
 * ENOBUFS when the connection cannot send because the mbuf pool is empty.
 * EPIPE after shutdown or close of the connection, ECONNRESET after a reset.
 * No SIGPIPE is ever raised.
 */
ssize_t skiff_sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
                     socklen_t tolen);
/** skiff_sendto() to the connected peer. */
ssize_t skiff_send(int fd, const void *buf, size_t len, int flags);

/**
 * Receive one datagram; a datagram longer than `len` is cut and the rest is
 * lost. Flags: MSG_DONTWAIT (do not block), MSG_TRUNC (return the datagram's
 * real length, even when cut). Blocks, sleeping, unless the socket is
 * nonblocking or MSG_DONTWAIT is given; SO_RCVTIMEO bounds the wait.
 * @return the length, 0 after shutdown(SHUT_RD), or -1: EAGAIN (nothing
 *         queued and not blocking, or SO_RCVTIMEO expired), EINTR (a signal),
 *         ECONNREFUSED (a connected socket's peer answered port unreachable),
 *         EBADF (also when the socket is closed while waiting), EOPNOTSUPP
 *         (MSG_PEEK, MSG_OOB).
 */
ssize_t skiff_recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from,
                       socklen_t *fromlen);
/** skiff_recvfrom() without the source address. */
ssize_t skiff_recv(int fd, void *buf, size_t len, int flags);

/**
 * Close a socket or an epoll instance. A socket leaves every epoll set it
 * was in, and threads blocked on it return with EBADF.
 * @return 0, or -1 with EBADF.
 */
int skiff_close(int fd);

/** SHUT_RD, SHUT_WR or SHUT_RDWR on a connected socket: -1 with ENOTCONN otherwise. */
int skiff_shutdown(int fd, int how);

/** The local address; *len is updated to the address's full size. */
int skiff_getsockname(int fd, struct sockaddr *addr, socklen_t *len);
/** The connected peer's address, or -1 with ENOTCONN. */
int skiff_getpeername(int fd, struct sockaddr *addr, socklen_t *len);

/**
 * SOL_SOCKET: SO_REUSEADDR, SO_REUSEPORT, SO_RCVBUF, SO_SNDBUF (doubled, as
 * Linux does), SO_RCVTIMEO, SO_SNDTIMEO, SO_ERROR and SO_TYPE (get only);
 * IPPROTO_IPV6: IPV6_V6ONLY (before bind); IPPROTO_TCP: TCP_NODELAY.
 * @return 0, or -1: ENOPROTOOPT, EINVAL, EBADF.
 */
int skiff_setsockopt(int fd, int level, int name, const void *val, socklen_t len);
int skiff_getsockopt(int fd, int level, int name, void *val, socklen_t *len);

/**
 * F_GETFL (O_RDWR, | O_NONBLOCK) and F_SETFL (O_NONBLOCK on or off; other
 * flags are ignored). Any other command: -1 with EINVAL.
 */
int skiff_fcntl(int fd, int cmd, ...);

/* ---- readiness ---------------------------------------------------------- */

/**
 * A new epoll instance (`size` is ignored but must be positive, as POSIX).
 * @return its descriptor (>= SKIFF_EPOLL_FD_BASE), or -1: EINVAL, ENETDOWN.
 */
int skiff_epoll_create(int size);
/** As skiff_epoll_create(); flags 0 or EPOLL_CLOEXEC (ignored). */
int skiff_epoll_create1(int flags);

/**
 * EPOLL_CTL_ADD, EPOLL_CTL_MOD or EPOLL_CTL_DEL socket `fd` in `epfd`.
 * Events: EPOLLIN, EPOLLOUT, EPOLLRDHUP, plus EPOLLET (report once per new
 * event instead of while ready) and EPOLLONESHOT (report once, then disarm
 * until EPOLL_CTL_MOD). EPOLLERR and EPOLLHUP are always reported.
 * @return 0, or -1: EBADF, EEXIST, ENOENT, EINVAL (not a skiff socket, or
 *         epfd == fd), ENOSPC (a socket is in at most 4 epoll sets).
 */
int skiff_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);

/**
 * Wait for readiness, sleeping; timeout in ms, -1 forever, 0 to poll.
 * @return the number of events filled in (0 on timeout), or -1: EBADF,
 *         EINVAL (maxevents <= 0), EINTR.
 */
int skiff_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout);

#ifdef __cplusplus
}
#endif
