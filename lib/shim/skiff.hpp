#pragma once

// For C++ apps that use the shim and also want the native API underneath it
// (per-core zero-copy callbacks, counters, the stack itself): the objects
// skiff_init() created. Valid between skiff_init() and skiff_fini().
//
//	#include "shim/skiff.hpp"
//	#include "net/sockets.h"
//	int fd = skiff_socket(AF_INET, SOCK_DGRAM, 0);
//	skiff::shim::sockets().set_native_rx(fd, on_datagram, ctx);

#include "shim/skiff.h"

namespace skiff {
namespace net {
class socket_layer;
} // namespace net
namespace app {
class runtime;
} // namespace app

namespace shim {

/// The socket layer behind the skiff_ calls; the descriptors are the same.
net::socket_layer &sockets();

/// The runtime: EAL, mbuf pool, ports, stack and workers.
app::runtime &runtime();

} // namespace shim
} // namespace skiff
