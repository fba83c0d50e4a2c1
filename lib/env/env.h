#pragma once

// Process bring-up for skiff applications: options -> EAL arguments -> EAL,
// with DPDK's log routed through spdlog, SIGINT/SIGTERM turned into a stop
// flag, and the EAL runtime directory removed again at exit.
//
//	skiff::options opts;
//	CLI::App app{"skiff-demo"};
//	skiff::add_common_options(app, opts);
//	CLI11_PARSE(app, argc, argv);
//	auto e = skiff::env::init(opts, argv[0]);
//	if (!e) {
//		return skiff::report_startup_error(argv[0], e.err());
//	}
//	while (!skiff::env::stop_requested()) { ... }

#include "base/result.h"
#include "env/log.h"
#include "env/options.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace skiff {

/// What the machine offers, as far as EAL arguments are concerned.
struct system_facts {
	uint64_t free_hugepages = 0;   ///< free hugepages, all sizes together
	uint64_t free_hugepage_mb = 0; ///< their total size in MB
	bool hugetlbfs_usable = false; ///< a hugetlbfs mount this user can write to
	uint64_t mem_available_mb = 0; ///< MemAvailable from /proc/meminfo, 0 if unknown
	std::vector<unsigned> cpus;    ///< CPUs this process may run on (affinity mask)
};

/// Read free hugepages (/sys/kernel/mm/hugepages, else /proc/meminfo), hugetlbfs
/// mounts (/proc/mounts), MemAvailable and the affinity mask (sched_getaffinity).
system_facts probe_system();

/// True when the EAL should use hugepages: --huge, or automatic with at least
/// --mem MB of them free on a usable hugetlbfs mount.
bool use_hugepages(const options &opts, const system_facts &facts);

/**
 * Build the EAL argument list (without argv[0]) for @p opts on a machine
 * described by @p facts. Pure: reads nothing but its arguments (and getpid()
 * for the default file prefix), so it is unit-testable without an EAL.
 * @return the arguments, or an error (-EINVAL, -ENOMEM) saying what to change:
 *         invalid options, --huge without free hugepages, an lcore that is not
 *         in the affinity mask, --mem above the available memory.
 */
result<std::vector<std::string>> build_eal_args(const options &opts, const system_facts &facts);

/**
 * Turn a failed rte_eal_init()'s rte_errno into one line saying what to do.
 * @param eal_errno  rte_errno after the failure (0 if the EAL did not set it)
 * @param eal_args   the arguments that were passed (for EINVAL)
 * @param file_prefix the --file-prefix in use
 */
error describe_eal_failure(int eal_errno, const std::vector<std::string> &eal_args,
                           const std::string &file_prefix);

/// The runtime directory the EAL uses for @p file_prefix: /var/run/dpdk/<prefix>
/// for root, else $XDG_RUNTIME_DIR/dpdk/<prefix> or /tmp/dpdk/<prefix>.
std::string eal_runtime_dir(std::string_view file_prefix);

/// True when a live EAL process listens on the multi-process socket in @p dir
/// (in no-huge mode the EAL itself does not stop two primaries sharing a prefix).
bool runtime_dir_in_use(const std::string &dir);

/**
 * Remove an EAL runtime directory after rte_eal_cleanup() if it holds only
 * the EAL's own files (config, fbarray_*, mp_socket*, dpdk_telemetry.*,
 * hugepage_info); anything else and it is left alone. For programs that
 * drive rte_eal_init() themselves (test mains); env does this on its own.
 */
void remove_eal_runtime_dir(const std::string &dir);

/// The EAL for this process. Move-only; at most one exists per process.
class env {
public:
	/**
	 * Validate @p opts, set up logging, bring up the EAL and install the
	 * SIGINT/SIGTERM handlers.
	 * @param prog_name argv[0], used by the EAL as its log identifier.
	 * @return the env, or an error whose message is one actionable line
	 *         (print it with report_startup_error()).
	 */
	static result<env> init(const options &opts, const char *prog_name);

	env(env &&other) noexcept;
	env &operator=(env &&other) noexcept;
	env(const env &) = delete;
	env &operator=(const env &) = delete;
	/// Restores the signal handlers, calls rte_eal_cleanup() and removes the
	/// EAL runtime directory if only the EAL's own files are in it.
	~env();

	/// True once SIGINT/SIGTERM arrived or request_stop() was called.
	static bool stop_requested();
	/// Ask the application to stop, as SIGINT would. Async-signal-safe.
	static void request_stop();

	/// Path of the DPDK telemetry socket ("" before init); connect with
	/// `dpdk-telemetry.py -f <file prefix>`.
	static const char *telemetry_socket_hint();

	/// Lcores in --lcores order; the first is the main lcore.
	const std::vector<unsigned> &lcores() const { return _lcores; }
	unsigned main_lcore() const { return _lcores.front(); }
	const std::string &file_prefix() const { return _file_prefix; }
	const std::string &runtime_dir() const { return _runtime_dir; }
	/// Whether the EAL memory is backed by hugepages.
	bool hugepages() const { return _hugepages; }

private:
	env() = default;
	void release();

	bool _owner = false;
	bool _hugepages = false;
	FILE *_log_stream = nullptr;
	std::vector<unsigned> _lcores;
	std::string _file_prefix;
	std::string _runtime_dir;
};

} // namespace skiff
