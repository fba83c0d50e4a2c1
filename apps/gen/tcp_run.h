#pragma once

// skiff-gen --tcp: bring up skiff stacks on the given ports and run the
// stateful load of tcp_load.h through them.
//
//   two --port: the client's stack on the first (--tx-port), the server's
//               on the other, in this process, like TRex's client and
//               server ports; e.g. a net_wire cable, or a device under test
//               between two NICs.
//   one --port: only the client (against a server at --dst, such as the
//               Linux kernel behind net_tap), or with --tcp-role server only
//               the server (against another skiff-gen, say).

#include "tcp_load.h"

#include "env/env.h"

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace skiff::gen {

/// What the TCP mode adds to the command line.
struct tcp_options {
	std::string pattern; ///< --tcp short|long; empty: not the TCP mode
	std::string role = "auto";
	tcp_profile profile;
	double msl_ms = 250;
};

void add_tcp_options(CLI::App &app, tcp_options &t);

/// The options skiff-gen shares with its UDP mode.
struct tcp_shared {
	std::string src, dst; ///< client and server address, "IP" or "IP/LEN"
	std::string dport;    ///< the server's port; empty: 80
	uint64_t count = 0;
	int tx_port = 0;
	bool quiet = false;
	std::string json, csv;
	std::vector<std::string> args; ///< the command line, for the report
};

/// Run the TCP mode to the end; returns the exit status (startup errors
/// are reported as one line).
int run_tcp(const options &opts, const tcp_options &t, const tcp_shared &sh);

} // namespace skiff::gen
