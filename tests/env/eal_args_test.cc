// build_eal_args() and friends, on made-up machines: no EAL is started.
#include "env/env.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

namespace skiff {
namespace {

using args_t = std::vector<std::string>;

system_facts no_hugepages() {
	system_facts f;
	f.cpus = {0, 1};
	f.mem_available_mb = 4096;
	return f;
}

system_facts with_hugepages(uint64_t mb) {
	system_facts f = no_hugepages();
	f.free_hugepages = mb / 2;
	f.free_hugepage_mb = mb;
	f.hugetlbfs_usable = true;
	return f;
}

bool has(const args_t &a, const std::string &word) {
	return std::find(a.begin(), a.end(), word) != a.end();
}

// The word following @p word, or "" when absent.
std::string after(const args_t &a, const std::string &word) {
	auto it = std::find(a.begin(), a.end(), word);
	return it == a.end() || it + 1 == a.end() ? "" : *(it + 1);
}

args_t build_ok(const options &o, const system_facts &f) {
	auto r = build_eal_args(o, f);
	EXPECT_TRUE(r.ok()) << r.err().message;
	return r ? r.value() : args_t{};
}

std::string build_err(const options &o, const system_facts &f) {
	auto r = build_eal_args(o, f);
	EXPECT_FALSE(r.ok());
	return r ? "" : r.err().message;
}

TEST(eal_args, defaults_without_hugepages) {
	options o;
	args_t a = build_ok(o, no_hugepages());
	EXPECT_TRUE(has(a, "--no-huge"));
	EXPECT_EQ(after(a, "-m"), "256");
	EXPECT_EQ(after(a, "-l"), "0");
	EXPECT_TRUE(has(a, "--main-lcore=0"));
	EXPECT_TRUE(has(a, "--no-pci"));
	EXPECT_TRUE(has(a, "--log-level=6")); // info -> RTE_LOG_NOTICE
	EXPECT_FALSE(has(a, "--no-telemetry"));
	EXPECT_FALSE(has(a, "--in-memory"));
	EXPECT_FALSE(use_hugepages(o, no_hugepages()));
}

TEST(eal_args, mem_is_passed) {
	options o;
	o.mem_mb = 512;
	args_t a = build_ok(o, no_hugepages());
	EXPECT_EQ(after(a, "-m"), "512");
}

TEST(eal_args, free_hugepages_are_used) {
	options o;
	args_t a = build_ok(o, with_hugepages(1024));
	EXPECT_FALSE(has(a, "--no-huge"));
	EXPECT_TRUE(has(a, "--huge-unlink"));
	EXPECT_EQ(after(a, "-m"), "256");
	EXPECT_TRUE(use_hugepages(o, with_hugepages(1024)));
}

TEST(eal_args, too_few_hugepages_fall_back) {
	options o;
	o.mem_mb = 512;
	EXPECT_TRUE(has(build_ok(o, with_hugepages(128)), "--no-huge"));
	system_facts unmounted = with_hugepages(1024);
	unmounted.hugetlbfs_usable = false;
	EXPECT_TRUE(has(build_ok(o, unmounted), "--no-huge"));
}

TEST(eal_args, no_huge_wins_over_free_hugepages) {
	options o;
	o.huge = huge_mode::off;
	EXPECT_TRUE(has(build_ok(o, with_hugepages(1024)), "--no-huge"));
}

TEST(eal_args, huge_without_free_hugepages_fails) {
	options o;
	o.huge = huge_mode::on;
	auto r = build_eal_args(o, no_hugepages());
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.err().code, -ENOMEM);
	EXPECT_EQ(r.err().message, "--huge given but no hugepages are free: reserve them with "
	                           "'dpdk-hugepages.py -p 2M --setup 512M'");
	EXPECT_EQ(build_err(o, with_hugepages(128)),
	          "--huge given but only 128 MB of hugepages are free for --mem 256: lower --mem "
	          "or reserve more with 'dpdk-hugepages.py -p 2M --setup 256M'");
	args_t a = build_ok(o, with_hugepages(256));
	EXPECT_FALSE(has(a, "--no-huge"));
}

TEST(eal_args, mem_above_available_fails) {
	options o;
	o.mem_mb = 8192;
	EXPECT_EQ(build_err(o, no_hugepages()),
	          "--mem 8192 MB is more than the 4096 MB of memory available: lower --mem");
	system_facts unknown = no_hugepages();
	unknown.mem_available_mb = 0;
	build_ok(o, unknown);
}

TEST(eal_args, default_file_prefix_is_per_process) {
	options o;
	args_t a = build_ok(o, no_hugepages());
	std::string expected = "--file-prefix=skiff-" + std::to_string(getpid());
	EXPECT_TRUE(has(a, expected));
	EXPECT_EQ(effective_file_prefix(o), "skiff-" + std::to_string(getpid()));
	o.file_prefix = "node1";
	EXPECT_TRUE(has(build_ok(o, no_hugepages()), "--file-prefix=node1"));
}

TEST(eal_args, eal_passthrough_is_split_and_appended) {
	options o;
	o.eal = "--vdev=net_null0 --log-level=debug";
	args_t a = build_ok(o, no_hugepages());
	ASSERT_GE(a.size(), 2u);
	EXPECT_EQ(a[a.size() - 2], "--vdev=net_null0");
	// last, so it overrides our global level
	EXPECT_EQ(a[a.size() - 1], "--log-level=debug");
}

TEST(eal_args, in_memory_needs_hugepages) {
	options o;
	o.eal = "--in-memory";
	EXPECT_NE(build_err(o, no_hugepages()).find("--in-memory"), std::string::npos);
	build_ok(o, with_hugepages(1024));
}

TEST(eal_args, lcores_map_to_l_and_main) {
	options o;
	o.lcores = "1,0";
	args_t a = build_ok(o, no_hugepages());
	EXPECT_EQ(after(a, "-l"), "1,0");
	EXPECT_TRUE(has(a, "--main-lcore=1"));

	system_facts big = no_hugepages();
	big.cpus = {0, 1, 2, 3, 4, 5, 6, 7};
	o.lcores = "2-4,7";
	a = build_ok(o, big);
	EXPECT_EQ(after(a, "-l"), "2,3,4,7");
	EXPECT_TRUE(has(a, "--main-lcore=2"));
}

TEST(eal_args, missing_lcore_is_named) {
	options o;
	o.lcores = "0,5";
	auto r = build_eal_args(o, no_hugepages());
	ASSERT_FALSE(r.ok());
	EXPECT_EQ(r.err().message, "lcore 5 does not exist: this machine has CPUs 0-1; pick from "
	                           "those with --lcores");

	system_facts sparse = no_hugepages();
	sparse.cpus = {0, 2, 3};
	o.lcores = "1";
	EXPECT_EQ(build_err(o, sparse), "lcore 1 does not exist: this machine has CPUs 0,2-3; "
	                                "pick from those with --lcores");
}

TEST(eal_args, pci_ports_are_allowlisted) {
	options o;
	o.ports = {"0000:01:00.0", "net_ring0", "02:00.1,rxq=2"};
	args_t a = build_ok(o, no_hugepages());
	EXPECT_FALSE(has(a, "--no-pci"));
	EXPECT_EQ(after(a, "-a"), "0000:01:00.0");
	EXPECT_EQ(std::count(a.begin(), a.end(), "-a"), 2);
	EXPECT_TRUE(has(a, "02:00.1,rxq=2"));
	EXPECT_FALSE(has(a, "net_ring0"));
}

TEST(eal_args, vdev_ports_keep_pci_off) {
	options o;
	o.ports = {"net_ring0", "net_tap0,iface=tap0"};
	args_t a = build_ok(o, no_hugepages());
	EXPECT_TRUE(has(a, "--no-pci"));
	EXPECT_FALSE(has(a, "-a"));
}

TEST(eal_args, raw_allowlist_keeps_pci_on) {
	options o;
	o.eal = "-a 0000:03:00.0";
	args_t a = build_ok(o, no_hugepages());
	EXPECT_FALSE(has(a, "--no-pci"));
	o.eal = "-b 0000:03:00.0";
	o.ports = {"0000:01:00.0"};
	EXPECT_NE(build_err(o, no_hugepages()).find("drop the -b"), std::string::npos);
}

TEST(eal_args, log_level_maps_to_eal) {
	options o;
	EXPECT_TRUE(has(build_ok(o, no_hugepages()), "--log-level=lib.telemetry:error"));
	o.log_level = "debug";
	args_t a = build_ok(o, no_hugepages());
	EXPECT_TRUE(has(a, "--log-level=7"));
	EXPECT_FALSE(has(a, "--log-level=lib.telemetry:error"));
	o.log_level = "trace";
	EXPECT_TRUE(has(build_ok(o, no_hugepages()), "--log-level=8"));
	o.log_level = "error";
	EXPECT_TRUE(has(build_ok(o, no_hugepages()), "--log-level=4"));
}

TEST(eal_args, invalid_options_are_reported) {
	options o;
	o.addrs = {"198.18.0.2/40"};
	EXPECT_EQ(build_err(o, no_hugepages()),
	          "--addr 198.18.0.2/40: prefix length must be 1-32 for IPv4");
}

TEST(eal_failure, messages_say_what_to_do) {
	args_t a = {"--no-huge", "-m", "256"};
	EXPECT_EQ(describe_eal_failure(EINVAL, a, "p").message,
	          "bad EAL arguments: --no-huge -m 256: check --eal and --lcores (the EAL message "
	          "above names the bad one)");
	EXPECT_EQ(describe_eal_failure(EINVAL, a, "p").code, -EINVAL);
	EXPECT_EQ(describe_eal_failure(ENOMEM, a, "p")
	              .message.rfind("not enough memory: lower "
	                             "--mem or reserve hugepages",
	                             0),
	          0u);
	EXPECT_EQ(describe_eal_failure(EACCES, a, "p").message.rfind("permission denied", 0), 0u);
	EXPECT_NE(describe_eal_failure(EALREADY, a, "p").message.find("already initialised"),
	          std::string::npos);
	EXPECT_NE(describe_eal_failure(ENODEV, a, "p").message.find("--port"), std::string::npos);
	auto unknown = describe_eal_failure(0, a, "skiff-42");
	EXPECT_NE(unknown.message.find("--file-prefix skiff-42"), std::string::npos);
	EXPECT_EQ(unknown.code, -EIO);
	for (int e : {EACCES, ENOMEM, EALREADY, EINVAL, ENODEV, ENOTSUP, EAGAIN, EFAULT, 0}) {
		EXPECT_EQ(describe_eal_failure(e, a, "p").message.find('\n'), std::string::npos);
	}
}

// A scratch directory that looks like an EAL runtime directory.
class runtime_dir : public testing::Test {
protected:
	void SetUp() override {
		char tmpl[] = "/tmp/skiff-env-test-XXXXXX";
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		_dir = tmpl;
	}
	void TearDown() override {
		std::string cmd = "rm -rf '" + _dir + "'";
		EXPECT_EQ(std::system(cmd.c_str()), 0);
	}
	void touch(const std::string &name) {
		std::FILE *f = std::fopen((_dir + "/" + name).c_str(), "w");
		ASSERT_NE(f, nullptr);
		std::fclose(f);
	}
	bool exists(const std::string &name = "") {
		struct stat st;
		return stat((name.empty() ? _dir : _dir + "/" + name).c_str(), &st) == 0;
	}
	std::string _dir;
};

TEST_F(runtime_dir, eal_files_are_removed) {
	for (const char *f : {"config", "fbarray_memzone", "fbarray_nohugemem", "mp_socket",
	                      "mp_socket_123_abc", "dpdk_telemetry.v2", "hugepage_info"}) {
		touch(f);
	}
	remove_eal_runtime_dir(_dir);
	EXPECT_FALSE(exists());
}

TEST_F(runtime_dir, foreign_files_keep_the_directory) {
	touch("config");
	touch("notes.txt");
	remove_eal_runtime_dir(_dir);
	EXPECT_TRUE(exists("config"));
	EXPECT_TRUE(exists("notes.txt"));
}

TEST_F(runtime_dir, live_mp_socket_means_in_use) {
	EXPECT_FALSE(runtime_dir_in_use(_dir));
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	ASSERT_GE(fd, 0);
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	std::string path = _dir + "/mp_socket";
	std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
	ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)), 0);
	EXPECT_TRUE(runtime_dir_in_use(_dir));
	close(fd);
	// the socket file outlives its process: a stale one is not "in use"
	EXPECT_TRUE(exists("mp_socket"));
	EXPECT_FALSE(runtime_dir_in_use(_dir));
}

TEST(system, runtime_dir_follows_the_eal) {
	std::string d = eal_runtime_dir("skiff-1");
	if (getuid() == 0) {
		EXPECT_EQ(d, "/var/run/dpdk/skiff-1");
	} else {
		EXPECT_EQ(d.substr(d.size() - 13), "/dpdk/skiff-1");
	}
}

TEST(system, probe_finds_this_process_cpus) {
	system_facts f = probe_system();
	ASSERT_FALSE(f.cpus.empty());
	EXPECT_GT(f.mem_available_mb, 0u);
	EXPECT_LE(f.free_hugepage_mb, f.free_hugepages * 1024);
}

TEST(env_stop, request_stop_sets_flag) {
	env::request_stop();
	EXPECT_TRUE(env::stop_requested());
	EXPECT_STREQ(env::telemetry_socket_hint(), "");
}

} // namespace
} // namespace skiff
