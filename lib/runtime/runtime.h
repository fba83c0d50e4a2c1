#pragma once

// What every skiff app does between parsing its options and its own logic:
// bring up the EAL, the mbuf pool, the ports and the stack; start one worker
// per lcore; print stats; capture; stop cleanly on SIGINT, SIGTERM or
// --duration. An app builds on this and adds its own per-core work.

#include "base/result.h"
#include "env/env.h"
#include "net/sockets.h"
#include "net/stack.h"
#include "port/capture.h"
#include "port/port.h"
#include "time/clock.h"

#include <memory>
#include <optional>
#include <vector>

struct rte_mempool;
namespace CLI {
class App;
}

namespace skiff::app {

/// Parse the command line. Returns nullopt to go on, or the exit status:
/// 0 after --help, 1 after a bad option, reported as one line
/// "<prog>: <what is wrong> (see --help)".
std::optional<int> parse_cli(CLI::App &app, int argc, char **argv);

/// Create a packet mbuf pool sized by --mbufs, with a message that says
/// what to change when memory runs short.
result<rte_mempool *> make_pool(const char *name, unsigned n_mbufs, uint16_t data_room);

class runtime {
public:
	/// Everything up to, not including, the workers' first poll. `stack_cfg`
	/// carries app-specific stack settings (e.g. forwarding); its pool is
	/// set here.
	static result<std::unique_ptr<runtime>> start(const options &opts, const char *prog,
	                                              const net::stack_config &stack_cfg = {});
	~runtime();

	net::stack &stack() { return *_stack; }
	net::socket_layer &sockets() { return *_sockets; }
	const std::vector<port> &ports() const { return _ports; }
	const class env &env() const { return *_env; }

	/// Poll on every lcore until a signal or --duration; then print the
	/// final stats. `on_main_tick`, if given, runs on the main lcore between
	/// polls (for app logic that is not per packet). Returns an exit code.
	int run(void (*on_main_tick)(runtime &, void *) = nullptr, void *ctx = nullptr);

	/// Print the stack and port counters now.
	void print_stats() const;

private:
	runtime() = default;
	result<void> open_ports();
	result<void> configure_stack(const net::stack_config &base);
	static int worker_main(void *arg);

	options _opts;
	std::optional<class env> _env;
	std::unique_ptr<clock> _clock; // not movable: the stack keeps a pointer
	rte_mempool *_pool = nullptr;
	rte_mempool *_capture_pool = nullptr;
	std::vector<port> _ports;
	std::optional<pcap_capture> _capture;
	std::unique_ptr<net::stack> _stack;
	std::unique_ptr<net::socket_layer> _sockets; // before _stack in destruction
};

} // namespace skiff::app
