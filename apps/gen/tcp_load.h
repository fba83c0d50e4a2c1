#pragma once

// skiff-gen's stateful TCP mode (--tcp), in the spirit of TRex's advanced
// stateful mode: real connections through skiff's TCP stack, each running
// one small program.
//
//   client: connect; then, per transaction, send --request bytes and read
//           --response bytes back (none: the flow only uploads); after the
//           last transaction, close.
//   server: accept; per transaction, read --request bytes and answer with
//           --response bytes; close when the client does.
//
// `short` runs one transaction per connection: many short connections, at
// --cps new ones per second with at most --conns open at once. `long` keeps
// --conns connections for the whole run, transaction after transaction: a
// large --response makes them download flows, --response 0 upload flows.
// Payloads are the deterministic pattern of apps/httpd/pattern.h and both
// ends check every byte they receive, so a goodput figure is also a proof
// that the bytes arrived intact.
//
// Neither side has a thread of its own: the owner calls step() between
// polls of the stack's worker on the same lcore (one core carries one
// side's application and its stack), with the socket layer's nonblocking
// calls.

#include "histogram.h"
#include "pacer.h"

#include "base/result.h"

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace skiff::net {
class socket_layer;
}

namespace skiff::gen {

enum class tcp_pattern { short_conns, long_flows };

/// "short" or "long".
const char *tcp_pattern_name(tcp_pattern p);
result<tcp_pattern> parse_tcp_pattern(const std::string &s);

struct tcp_profile {
	tcp_pattern pattern = tcp_pattern::short_conns;
	uint32_t request = 64;  ///< bytes the client sends per transaction, at least 1
	uint32_t response = 64; ///< bytes the server answers each request with; 0: none
	uint32_t conns = 64;    ///< short: open at once, at most; long: the flows
	double cps = 0;         ///< short: new connections per second; 0: as --conns allows
	uint64_t count = 0;     ///< short: connections in all; 0: until the duration ends
	double duration = 10;   ///< seconds of opening connections (short) or of flows (long)
	double timeout = 5;     ///< a connection without progress for this long fails
	uint32_t buffer = 0;    ///< SO_SNDBUF/SO_RCVBUF; 0: the stack's default
};

/// Largest --request / --response.
inline constexpr uint32_t tcp_max_message = 64u << 20;

/// The profile's limits, as one line that says what to change. A server
/// alone needs no duration: it serves until stopped.
result<void> check_tcp_profile(const tcp_profile &p, bool client);

/// Why a client connection failed.
enum class tcp_failure {
	open,      ///< socket() or connect() refused at once, not for want of a port
	refused,   ///< the handshake failed: RST, or no answer in time
	reset,     ///< the established connection was reset or closed early
	timeout,   ///< no progress for --timeout
	corrupted, ///< a byte differed from the pattern
	count
};
const char *tcp_failure_name(tcp_failure f);

/// What the client counted. One writer (the client's lcore); the progress
/// line may read it from the same thread only.
struct tcp_client_stats {
	uint64_t opened = 0;      ///< connect() calls that were taken
	uint64_t established = 0; ///< handshakes completed
	uint64_t completed = 0;   ///< connections that ran their whole program and closed
	uint64_t failed[size_t(tcp_failure::count)] = {};
	uint64_t transactions = 0;
	uint64_t bytes_sent = 0;     ///< payload
	uint64_t bytes_received = 0; ///< payload, every byte checked
	uint64_t max_open = 0;       ///< connections open at once, at most
	double seconds = 0;          ///< from the first connect to the end of the run
	uint64_t paced_out = 0;      ///< short with --cps: connections the pacer wanted but
	                             ///< --conns did not allow at the time
	uint64_t open_waits = 0;     ///< times opening waited for a free port or socket
	histogram connect_ns;        ///< connect() to established
	histogram transaction_ns;    ///< first request byte handed over to last response byte

	uint64_t failures() const;
};

/// What the server counted (same threading as tcp_client_stats).
struct tcp_server_stats {
	uint64_t accepted = 0;
	uint64_t transactions = 0; ///< requests answered (or, with no response, received)
	uint64_t bytes_received = 0;
	uint64_t bytes_sent = 0;
	uint64_t corrupted = 0; ///< connections closed because a byte differed
	uint64_t errors = 0;    ///< resets and other socket errors
};

/**
 * The load's client: runs the profile against one server address until its
 * duration (or count) is over, then lets open connections finish their
 * transaction for up to --timeout. Allocates its message buffers and slots
 * up front; step() allocates nothing.
 */
class tcp_client {
public:
	tcp_client(const tcp_profile &p, net::socket_layer &sl, const sockaddr_storage &server,
	           socklen_t server_len);
	~tcp_client();
	tcp_client(const tcp_client &) = delete;
	tcp_client &operator=(const tcp_client &) = delete;

	/// On the client lcore, once: the clock starts.
	void start(uint64_t now_tsc);
	/// Between polls. False once the run is over.
	bool step(uint64_t now_tsc);
	/// Close what is still open (after the run).
	void close_all();

	const tcp_client_stats &stats() const { return _stats; }
	uint32_t open_now() const { return _open; }

private:
	enum class st : uint8_t { idle, connecting, sending, receiving };
	struct slot {
		int fd = -1;
		st state = st::idle;
		uint32_t done = 0;      ///< bytes of the current message sent or received
		uint64_t t_connect = 0; ///< connect() called
		uint64_t t_request = 0; ///< the transaction's first byte handed over
		uint64_t t_progress = 0;
	};

	bool opening(uint64_t now) const;
	void open_due(uint64_t now);
	bool open_slot(slot &s, uint64_t now);
	void run_slot(slot &s, uint64_t now);
	void check_connected(slot &s, uint64_t now);
	void send_request(slot &s, uint64_t now);
	void receive_response(slot &s, uint64_t now);
	void transaction_done(slot &s, uint64_t now);
	void finish(slot &s);
	void fail(slot &s, tcp_failure why);
	void close_slot(slot &s);

	tcp_profile _p;
	net::socket_layer &_sl;
	sockaddr_storage _server;
	socklen_t _server_len;
	std::unique_ptr<uint8_t[]> _request, _response, _in;
	std::vector<slot> _slots;
	std::vector<uint32_t> _free; ///< indices of idle slots
	pacer _pacer;
	uint64_t _gap = 0; ///< fixed-point cycles between connections (--cps)
	uint64_t _hz = 0, _started = 0, _stop_opening = 0, _timeout = 0, _drain_until = 0;
	uint32_t _open = 0;
	tcp_client_stats _stats;
};

/**
 * The load's server: a dual-stack listener on one port, and the program's
 * other half for every connection it accepts.
 */
class tcp_server {
public:
	tcp_server(const tcp_profile &p, net::socket_layer &sl);
	~tcp_server();
	tcp_server(const tcp_server &) = delete;
	tcp_server &operator=(const tcp_server &) = delete;

	/// Listen on [::]:@p port (IPv4 too), with room for @p max_conns at once.
	result<void> listen(uint16_t port, uint32_t max_conns);
	/// Accept what waits and give every connection one turn.
	void step();
	void close_all();

	const tcp_server_stats &stats() const { return _stats; }

private:
	struct conn {
		int fd = -1;
		uint32_t got = 0;  ///< bytes of the current request received
		uint32_t sent = 0; ///< bytes of the current response sent
		bool answering = false;
	};

	void accept_all();
	bool serve(conn &c);
	bool read_request(conn &c, bool &idle);
	bool write_response(conn &c, bool &idle);

	tcp_profile _p;
	net::socket_layer &_sl;
	int _listener = -1;
	std::vector<conn> _conns;
	std::unique_ptr<uint8_t[]> _request, _response, _in;
	tcp_server_stats _stats;
};

} // namespace skiff::gen
