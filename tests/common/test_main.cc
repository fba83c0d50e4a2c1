// GoogleTest main for every suite: a private EAL without hugepages and a
// small mbuf pool, so suites need no root and can run in parallel.
#include "test_env.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

namespace {
rte_mempool *g_pool;
}

rte_mempool *skiff::test::pool() {
	return g_pool;
}

int main(int argc, char **argv) {
	testing::InitGoogleTest(&argc, argv);
	std::string prefix = "--file-prefix=skiff-test-" + std::to_string(getpid());
	std::string name = "skiff-test";
	const char *eal_argv[] = {
	    name.c_str(),  "--no-huge",      "-m", "256", "--no-pci",
	    "--no-shconf", "--no-telemetry", "-l", "0",   "--log-level=lib.eal:error",
	    prefix.c_str()};
	int eal_argc = sizeof(eal_argv) / sizeof(eal_argv[0]);
	if (rte_eal_init(eal_argc, const_cast<char **>(eal_argv)) < 0) {
		std::fprintf(stderr, "test main: EAL init failed: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	g_pool = rte_pktmbuf_pool_create("test_pool", 4096, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                                 SOCKET_ID_ANY);
	if (!g_pool) {
		std::fprintf(stderr, "test main: mbuf pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	int rc = RUN_ALL_TESTS();
	rte_mempool_free(g_pool);
	// The runtime directory is ours alone (a per-pid prefix): remove it so
	// test runs do not pile up folders in /var/run/dpdk.
	std::filesystem::path runtime_dir = rte_eal_get_runtime_dir();
	rte_eal_cleanup();
	std::error_code ec;
	std::filesystem::remove_all(runtime_dir, ec);
	return rc;
}
