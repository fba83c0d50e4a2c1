#pragma once

#include <rte_mempool.h>

namespace skiff::test {

/// The mbuf pool the test main creates after bringing up the EAL.
rte_mempool *pool();

} // namespace skiff::test
