#pragma once

// A whole machine inside the process: one port, a stack with one worker on
// it, and the stack's socket layer. Benchmarks and demos that play both
// ends of a conversation (skiff-demo, skiff-echo --client, skiff-gen --tcp)
// build two of these and join their ports with a cable: a ring pair
// (make_ring_cable) or drivers/net_wire.

#include "base/result.h"
#include "net/sockets.h"
#include "net/stack.h"
#include "port/port.h"
#include "time/clock.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

struct rte_mempool;

namespace skiff::app {

struct host_config {
	std::string name;               ///< unique in the process: names DPDK tables
	std::string devargs;            ///< the port, e.g. "net_ring_demo_a"
	std::vector<std::string> addrs; ///< "198.18.0.1/24", "2001:2::1/64", ...
	rte_mempool *pool = nullptr;
	net::socket_config sockets;
};

class host {
public:
	/// Open the port, build the stack and its socket layer. Errors carry
	/// what to change (--mem, the address, ...).
	static result<std::unique_ptr<host>> create(const host_config &cfg, const clock &clk);
	~host();
	host(const host &) = delete;
	host &operator=(const host &) = delete;

	net::stack &stack() { return *_stack; }
	const net::stack &stack() const { return *_stack; }
	net::socket_layer &sockets() { return *_sockets; }
	net::worker &worker() { return _stack->worker_at(0); }
	const port &nic() const { return *_port; }
	/// Bytes of DPDK heap the socket layer took for its tables.
	size_t socket_table_bytes() const { return _socket_table_bytes; }

private:
	host() = default;

	std::unique_ptr<port> _port;
	std::unique_ptr<net::stack> _stack;
	std::unique_ptr<net::socket_layer> _sockets; // detaches from the workers first
	size_t _socket_table_bytes = 0;
};

/// Two rings that make one cable, each @p depth frames deep: what one end
/// sends, the other receives. Returns the two ends' devargs
/// ("net_ring_<tag>_a", "net_ring_<tag>_b") for host_config::devargs.
result<std::pair<std::string, std::string>> make_ring_cable(const std::string &tag, unsigned depth);

/// Bytes allocated from DPDK's heaps, over every NUMA socket.
size_t rte_heap_in_use();

} // namespace skiff::app
