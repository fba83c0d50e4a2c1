#pragma once

// The TCP side of a stream socket. The connection (lib/tcp) belongs to one
// worker, its home core, which alone calls into it: input, output, timers.
// The application thread never touches it. The two meet in lock-free
// places only:
//   - two SPSC byte rings: `tx` (application -> worker) and `rx` (worker ->
//     application);
//   - request bits the application sets (`req`), after which it "kicks"
//     the socket onto its home worker's MP/SC kick ring;
//   - state the worker publishes (`state`, `eof`, `so_error`) before it
//     signals the socket.
// A listener keeps the connections it accepted, once established, in its
// accept ring until accept() takes them.

#include "net/flow_key.h"
#include "net/spsc_bytes.h"
#include "tcp/connection.h"
#include "time/timer_wheel.h"

#include <rte_ring.h>

#include <atomic>
#include <cstdint>

namespace skiff::net {

struct socket;

/// What the application asks of the worker (tcp_sock::req bits).
namespace tcp_req {
constexpr uint32_t open = 0x01;     ///< connect(): active open
constexpr uint32_t shutdown = 0x02; ///< shutdown(SHUT_WR): FIN after the data
constexpr uint32_t close = 0x04;    ///< close(): FIN, or RST with unread data
constexpr uint32_t data = 0x08;     ///< bytes queued in tx, or room made in rx
constexpr uint32_t info = 0x10;     ///< publish a tcp_info snapshot
constexpr uint32_t options = 0x20;  ///< TCP_NODELAY / SO_KEEPALIVE changed
constexpr uint32_t abort = 0x40;    ///< reset it (a listener closed before accepting it)
} // namespace tcp_req

struct tcp_sock {
	explicit tcp_sock(socket *s) : owner(s) {}

	socket *owner;
	tcp::connection conn; ///< home worker only
	spsc_bytes tx;        ///< application -> worker
	spsc_bytes rx;        ///< worker -> application
	timer tmr;            ///< at conn.next_timer_us(), on the home worker's wheel
	flow_key key{};       ///< the 4-tuple, also hashed into the ISN
	tcp::open_params params;
	uint16_t home = 0; ///< the worker that owns the connection
	class worker *home_worker = nullptr;
	bool in_table = false;     ///< the home worker's table holds key (home worker only)
	bool owned = false;        ///< the home worker holds a reference (home worker only)
	bool finished = false;     ///< CLOSED and forgotten by the worker (home worker only)
	bool app_gone = false;     ///< the worker has seen tcp_req::close
	bool close_done = false;   ///< ... and acted on it
	bool shut_pending = false; ///< FIN once tx is drained into the connection
	bool error_reported = false;
	tcp_sock *prev_owned = nullptr; ///< the home worker's list of its connections
	tcp_sock *next_owned = nullptr;

	std::atomic<uint32_t> req{0};
	std::atomic<bool> kicked{false};
	std::atomic<tcp::tcp_state> state{tcp::tcp_state::closed};
	std::atomic<bool> eof{false}; ///< the peer's FIN, after every byte now in rx
	std::atomic<bool> established_once{false};
	std::atomic<bool> finished_once{false}; ///< the core let go of the connection
	std::atomic<bool> starved{false};       ///< its last segment found the mbuf pool empty

	// A connection accepted by a listener, until accept() takes it.
	socket *listener = nullptr; ///< the listener's socket (a counted reference)
	bool queued = false;        ///< in the listener's accept ring

	// A listener.
	rte_ring *accept_q = nullptr;     ///< established connections (socket *), MP/MC
	uint32_t backlog = 0;             ///< listen(backlog): pending + unaccepted, at most
	std::atomic<uint32_t> pending{0}; ///< half-open and unaccepted connections
	std::atomic<bool> closed{false};  ///< the application closed the listener

	// TCP_INFO: the worker answers tcp_req::info with a snapshot.
	tcp::tcp_info info{};
	std::atomic<uint32_t> info_seq{0};
};

/// Set request bits on a connection and kick its home core: any thread.
void tcp_request(tcp_sock &ts, uint32_t req);

} // namespace skiff::net
