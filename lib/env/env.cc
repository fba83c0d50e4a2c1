#include "env/env.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <sched.h>
#include <sstream>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace skiff {

namespace {

const char *const reserve_hint = "dpdk-hugepages.py -p 2M --setup 512M";

uint64_t read_number(const std::string &path) {
	std::ifstream in(path);
	uint64_t v = 0;
	in >> v;
	return in ? v : 0;
}

// Value of a "Key:   123 kB" line of /proc/meminfo, 0 when absent.
uint64_t meminfo_value(const std::string &meminfo, std::string_view key) {
	auto pos = meminfo.find(std::string(key) + ":");
	if (pos == std::string::npos) {
		return 0;
	}
	std::istringstream in(meminfo.substr(pos + key.size() + 1));
	uint64_t v = 0;
	in >> v;
	return v;
}

void probe_hugepages(system_facts &f, const std::string &meminfo) {
	const char *base = "/sys/kernel/mm/hugepages";
	if (DIR *d = opendir(base)) {
		while (dirent *de = readdir(d)) {
			unsigned long kb;
			if (std::sscanf(de->d_name, "hugepages-%lukB", &kb) != 1) {
				continue;
			}
			uint64_t n =
			    read_number(std::string(base) + "/" + de->d_name + "/free_hugepages");
			f.free_hugepages += n;
			f.free_hugepage_mb += n * kb / 1024;
		}
		closedir(d);
		return;
	}
	f.free_hugepages = meminfo_value(meminfo, "HugePages_Free");
	f.free_hugepage_mb = f.free_hugepages * meminfo_value(meminfo, "Hugepagesize") / 1024;
}

bool hugetlbfs_writable() {
	std::ifstream mounts("/proc/mounts");
	std::string dev, dir, type, rest;
	while (mounts >> dev >> dir >> type && std::getline(mounts, rest)) {
		if (type == "hugetlbfs" && access(dir.c_str(), W_OK) == 0) {
			return true;
		}
	}
	return false;
}

std::vector<unsigned> affinity_cpus() {
	std::vector<unsigned> cpus;
	cpu_set_t set;
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0) {
		return cpus;
	}
	for (unsigned c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &set)) {
			cpus.push_back(c);
		}
	}
	return cpus;
}

bool has_eal_option(const std::vector<std::string> &words,
                    std::initializer_list<const char *> names) {
	return std::any_of(words.begin(), words.end(), [&](const std::string &w) {
		return std::any_of(names.begin(), names.end(), [&](const char *n) {
			std::string_view name(n);
			return w.rfind(name, 0) == 0 && (w.size() == name.size() ||
			                                 name.size() == 2 || w[name.size()] == '=');
		});
	});
}

std::string join(const std::vector<std::string> &words) {
	std::string out;
	for (const auto &w : words) {
		if (!out.empty()) {
			out += ' ';
		}
		out += w;
	}
	return out;
}

result<void> check_lcores(const std::vector<unsigned> &lcores, const system_facts &facts) {
	if (facts.cpus.empty()) {
		return {}; // affinity unknown: let the EAL judge
	}
	for (unsigned l : lcores) {
		if (std::find(facts.cpus.begin(), facts.cpus.end(), l) == facts.cpus.end()) {
			return make_error(-EINVAL, "lcore " + std::to_string(l) +
			                               " does not exist: this machine has CPUs " +
			                               format_cpu_list(facts.cpus) +
			                               "; pick from those with --lcores");
		}
	}
	return {};
}

result<void> check_memory_source(const options &opts, const system_facts &facts) {
	std::string mem = std::to_string(opts.mem_mb);
	if (opts.huge == huge_mode::on) {
		if (facts.free_hugepages == 0) {
			return make_error(-ENOMEM, std::string("--huge given but no hugepages are "
			                                       "free: reserve them with '") +
			                               reserve_hint + "'");
		}
		if (!facts.hugetlbfs_usable) {
			return make_error(-EACCES,
			                  std::string("--huge given but no hugetlbfs mount "
			                              "is writable: run as root or mount "
			                              "one with '") +
			                      reserve_hint + "'");
		}
		if (facts.free_hugepage_mb < opts.mem_mb) {
			return make_error(-ENOMEM, "--huge given but only " +
			                               std::to_string(facts.free_hugepage_mb) +
			                               " MB of hugepages are free for --mem " +
			                               mem +
			                               ": lower --mem or reserve more with "
			                               "'dpdk-hugepages.py -p 2M --setup " +
			                               mem + "M'");
		}
		return {};
	}
	if (!use_hugepages(opts, facts) && facts.mem_available_mb != 0 &&
	    opts.mem_mb > facts.mem_available_mb) {
		return make_error(-ENOMEM, "--mem " + mem + " MB is more than the " +
		                               std::to_string(facts.mem_available_mb) +
		                               " MB of memory available: lower --mem");
	}
	return {};
}

// Device selection: allowlist PCI ports so the EAL probes only those, and
// keep the PCI bus out of the way when no port is a PCI device.
result<void> add_device_args(const options &opts, const std::vector<std::string> &raw,
                             std::vector<std::string> &args) {
	bool any_pci = false;
	for (const auto &p : opts.ports) {
		if (is_pci_address(p)) {
			args.push_back("-a");
			args.push_back(p);
			any_pci = true;
		}
	}
	if (any_pci && has_eal_option(raw, {"-b", "--block"})) {
		return make_error(-EINVAL, "--eal blocks PCI devices (-b) but a --port is a PCI "
		                           "address, which allowlists it: drop the -b");
	}
	if (!any_pci && !has_eal_option(raw, {"-a", "--allow", "-b", "--block", "--no-pci"})) {
		args.push_back("--no-pci");
	}
	return {};
}

// ---- signals ------------------------------------------------------------

std::atomic<bool> g_stop{false};
std::atomic<int> g_sigints{0};
static_assert(std::atomic<bool>::is_always_lock_free && std::atomic<int>::is_always_lock_free,
              "the signal handler needs lock-free atomics");

struct sigaction g_old_sigint;
struct sigaction g_old_sigterm;

extern "C" void on_stop_signal(int sig) {
	if (sig == SIGINT && g_sigints.fetch_add(1) >= 1) {
		// A second Ctrl-C means the app did not stop: let it die.
		std::signal(SIGINT, SIG_DFL);
		std::raise(SIGINT);
		return;
	}
	g_stop.store(true);
}

void install_signal_handlers() {
	struct sigaction sa {};
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; // no SA_RESTART: blocking calls return EINTR so loops see the flag
	sigaction(SIGINT, &sa, &g_old_sigint);
	sigaction(SIGTERM, &sa, &g_old_sigterm);
}

void restore_signal_handlers() {
	sigaction(SIGINT, &g_old_sigint, nullptr);
	sigaction(SIGTERM, &g_old_sigterm, nullptr);
}

// ---- EAL state ----------------------------------------------------------

std::atomic<bool> g_eal_taken{false};
std::string g_telemetry_path;
// rte_eal_init() permutes argv and may keep pointers into it: keep both alive.
std::vector<std::string> g_eal_argv;
std::vector<char *> g_eal_argp;

// Files a primary EAL leaves in its runtime directory.
bool is_eal_runtime_file(std::string_view name) {
	for (std::string_view prefix :
	     {"config", "hugepage_info", "fbarray_", "mp_socket", "dpdk_telemetry", "telemetry"}) {
		if (name.substr(0, prefix.size()) == prefix) {
			return true;
		}
	}
	return false;
}

} // namespace

void remove_eal_runtime_dir(const std::string &dir) {
	DIR *d = opendir(dir.c_str());
	if (d == nullptr) {
		return;
	}
	std::vector<std::string> files;
	bool foreign = false;
	while (dirent *de = readdir(d)) {
		std::string_view name(de->d_name);
		if (name == "." || name == "..") {
			continue;
		}
		if (!is_eal_runtime_file(name)) {
			spdlog::debug("leaving {}: it holds {}, which is not ours", dir, name);
			foreign = true;
			break;
		}
		files.emplace_back(name);
	}
	closedir(d);
	if (foreign) {
		return;
	}
	for (const auto &f : files) {
		unlink((dir + "/" + f).c_str());
	}
	if (rmdir(dir.c_str()) != 0) {
		spdlog::debug("cannot remove {}: {}", dir, std::strerror(errno));
	}
}

namespace {

void log_hugepage_choice(const options &opts, const system_facts &facts) {
	if (opts.huge != huge_mode::automatic || use_hugepages(opts, facts)) {
		return;
	}
	if (facts.free_hugepages == 0) {
		spdlog::info("no hugepages reserved: running without them (--no-huge, {} MB); "
		             "reserve some with dpdk-hugepages.py for speed",
		             opts.mem_mb);
	} else if (!facts.hugetlbfs_usable) {
		spdlog::info("hugepages are reserved but no hugetlbfs mount is writable: running "
		             "without them (--no-huge, {} MB); mount one with dpdk-hugepages.py "
		             "for speed",
		             opts.mem_mb);
	} else {
		spdlog::info("only {} MB of hugepages free, less than --mem {}: running without "
		             "them (--no-huge); reserve more with dpdk-hugepages.py for speed",
		             facts.free_hugepage_mb, opts.mem_mb);
	}
}

} // namespace

std::string eal_runtime_dir(std::string_view file_prefix) {
	std::string base = "/var/run";
	if (getuid() != 0) {
		const char *xdg = std::getenv("XDG_RUNTIME_DIR");
		base = xdg != nullptr ? xdg : "/tmp";
	}
	return base + "/dpdk/" + std::string(file_prefix);
}

bool runtime_dir_in_use(const std::string &dir) {
	sockaddr_un addr{};
	addr.sun_family = AF_UNIX;
	std::string path = dir + "/mp_socket";
	if (path.size() >= sizeof(addr.sun_path)) {
		return false;
	}
	std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		return false;
	}
	// A datagram connect only succeeds when someone has the path bound.
	bool live = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) == 0;
	close(fd);
	return live;
}

system_facts probe_system() {
	system_facts f;
	std::ifstream in("/proc/meminfo");
	std::string meminfo((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
	probe_hugepages(f, meminfo);
	f.hugetlbfs_usable = hugetlbfs_writable();
	f.mem_available_mb = meminfo_value(meminfo, "MemAvailable") / 1024;
	f.cpus = affinity_cpus();
	return f;
}

bool use_hugepages(const options &opts, const system_facts &facts) {
	switch (opts.huge) {
	case huge_mode::on:
		return true;
	case huge_mode::off:
		return false;
	default:
		return facts.hugetlbfs_usable && facts.free_hugepage_mb >= opts.mem_mb;
	}
}

result<std::vector<std::string>> build_eal_args(const options &opts, const system_facts &facts) {
	if (auto r = validate(opts); !r) {
		return r.err();
	}
	auto lcores = parse_lcore_list(opts.lcores).value();
	if (auto r = check_lcores(lcores, facts); !r) {
		return r.err();
	}
	if (auto r = check_memory_source(opts, facts); !r) {
		return r.err();
	}
	auto raw = split_args(opts.eal).value();
	bool huge = use_hugepages(opts, facts);
	if (!huge && has_eal_option(raw, {"--in-memory"})) {
		return make_error(-EINVAL, "--eal '--in-memory' cannot run without hugepages: "
		                           "drop it (--file-prefix keeps instances apart) or "
		                           "reserve hugepages");
	}

	auto level = parse_level(opts.log_level).value_or(spdlog::level::info);
	std::vector<std::string> lcore_ids;
	for (unsigned l : lcores) {
		lcore_ids.push_back(std::to_string(l));
	}
	std::string lcore_list = join(lcore_ids);
	std::replace(lcore_list.begin(), lcore_list.end(), ' ', ',');

	std::vector<std::string> args = {
	    "--log-level=" + std::to_string(eal_log_level(level)),
	    "--file-prefix=" + effective_file_prefix(opts),
	    "-l",
	    lcore_list,
	    "--main-lcore=" + lcore_ids.front(),
	};
	if (level >= spdlog::level::info) {
		// Telemetry warns at every start that it has no legacy socket;
		// keep its real errors, drop that noise unless debugging.
		args.push_back("--log-level=lib.telemetry:error");
	}
	if (huge) {
		// Unlink hugepage files once mapped: with a per-pid file prefix,
		// files left behind would hold their pages until reboot.
		args.push_back("--huge-unlink");
	} else {
		args.push_back("--no-huge");
	}
	args.push_back("-m");
	args.push_back(std::to_string(opts.mem_mb));
	if (auto r = add_device_args(opts, raw, args); !r) {
		return r.err();
	}
	args.insert(args.end(), raw.begin(), raw.end());
	return args;
}

error describe_eal_failure(int eal_errno, const std::vector<std::string> &eal_args,
                           const std::string &file_prefix) {
	std::string msg;
	switch (eal_errno) {
	case EACCES:
		msg = std::string("permission denied while setting up hugepages: run as root, "
		                  "mount hugetlbfs with '") +
		      reserve_hint + "', or pass --no-huge";
		break;
	case ENOMEM:
		msg = std::string("not enough memory: lower --mem or reserve hugepages with '") +
		      reserve_hint + "'";
		break;
	case EALREADY:
		msg = "the EAL is already initialised in this process: create one skiff::env "
		      "and keep it for the life of the process";
		break;
	case EINVAL:
		msg = "bad EAL arguments: " + join(eal_args) +
		      ": check --eal and --lcores (the EAL message above names the bad one)";
		break;
	case ENODEV:
		msg = "device setup failed: check the --port and --eal device arguments (PCI "
		      "devices must be bound to vfio-pci: dpdk-devbind.py -s)";
		break;
	case ENOTSUP:
		msg = "the EAL cannot run here (unsupported CPU, no usable timer, or a device "
		      "probe failed): see the EAL message above";
		break;
	case EAGAIN:
		msg = "cannot set up VFIO: load it with 'modprobe vfio-pci' or run as root";
		break;
	case EFAULT:
		msg = "EAL internal setup failed (trace, tail queues or multi-process channel): "
		      "check that /var/run/dpdk (or $XDG_RUNTIME_DIR/dpdk) is writable";
		break;
	default:
		msg = std::string("EAL init failed (") +
		      (eal_errno != 0 ? rte_strerror(eal_errno) : "no error code") +
		      "): another process may be using --file-prefix " + file_prefix +
		      "; pick another one, or see the EAL message above";
		break;
	}
	return make_error(eal_errno != 0 ? -eal_errno : -EIO, std::move(msg));
}

namespace {

// Run rte_eal_init() on prog + args with DPDK's log routed to spdlog.
// Returns the log stream on success; on failure the error to report.
result<FILE *> start_eal(const char *prog, const std::vector<std::string> &args,
                         const std::string &file_prefix) {
	FILE *stream = open_dpdk_log_stream();
	if (stream != nullptr) {
		rte_openlog_stream(stream);
	}
	g_eal_taken.store(true);
	g_eal_argv = {prog != nullptr ? prog : "skiff"};
	g_eal_argv.insert(g_eal_argv.end(), args.begin(), args.end());
	g_eal_argp.clear();
	for (auto &a : g_eal_argv) {
		g_eal_argp.push_back(a.data());
	}
	g_eal_argp.push_back(nullptr);

	rte_errno = 0;
	if (rte_eal_init(int(g_eal_argv.size()), g_eal_argp.data()) < 0) {
		int err = rte_errno;
		rte_openlog_stream(nullptr);
		if (stream != nullptr) {
			std::fclose(stream);
		}
		return describe_eal_failure(err, args, file_prefix);
	}
	return stream;
}

} // namespace

result<env> env::init(const options &opts, const char *prog_name) {
	if (auto r = validate(opts); !r) {
		return r.err();
	}
	init_logging(opts.log_level);
	if (g_eal_taken.load()) {
		return describe_eal_failure(EALREADY, {}, "");
	}
	system_facts facts = probe_system();
	auto args = build_eal_args(opts, facts);
	if (!args) {
		return args.err();
	}
	std::string prefix = effective_file_prefix(opts);
	if (runtime_dir_in_use(eal_runtime_dir(prefix))) {
		return make_error(-EADDRINUSE, "--file-prefix " + prefix +
		                                   " is in use by a running DPDK process: pick "
		                                   "another name");
	}
	log_hugepage_choice(opts, facts);
	spdlog::debug("EAL arguments: {}", join(args.value()));
	auto stream = start_eal(prog_name, args.value(), prefix);
	if (!stream) {
		return stream.err();
	}

	env e;
	e._owner = true;
	e._log_stream = stream.value();
	e._hugepages = use_hugepages(opts, facts);
	e._lcores = parse_lcore_list(opts.lcores).value();
	e._file_prefix = std::move(prefix);
	e._runtime_dir = rte_eal_get_runtime_dir();
	g_telemetry_path = e._runtime_dir + "/dpdk_telemetry.v2";
	spdlog::debug("telemetry socket {}: connect with 'dpdk-telemetry.py -f {}'",
	              g_telemetry_path, e._file_prefix);
	install_signal_handlers();
	return result<env>(std::move(e));
}

env::env(env &&other) noexcept
    : _owner(std::exchange(other._owner, false)), _hugepages(other._hugepages),
      _log_stream(std::exchange(other._log_stream, nullptr)), _lcores(std::move(other._lcores)),
      _file_prefix(std::move(other._file_prefix)), _runtime_dir(std::move(other._runtime_dir)) {}

env &env::operator=(env &&other) noexcept {
	if (this != &other) {
		release();
		_owner = std::exchange(other._owner, false);
		_hugepages = other._hugepages;
		_log_stream = std::exchange(other._log_stream, nullptr);
		_lcores = std::move(other._lcores);
		_file_prefix = std::move(other._file_prefix);
		_runtime_dir = std::move(other._runtime_dir);
	}
	return *this;
}

env::~env() {
	release();
}

void env::release() {
	if (!_owner) {
		return;
	}
	_owner = false;
	restore_signal_handlers();
	bool primary = rte_eal_process_type() == RTE_PROC_PRIMARY;
	if (rte_eal_cleanup() != 0) {
		spdlog::warn("rte_eal_cleanup failed: {}", rte_strerror(rte_errno));
	}
	rte_openlog_stream(nullptr);
	if (_log_stream != nullptr) {
		std::fclose(_log_stream);
		_log_stream = nullptr;
	}
	if (primary && !_runtime_dir.empty()) {
		remove_eal_runtime_dir(_runtime_dir);
	}
	g_telemetry_path.clear();
}

bool env::stop_requested() {
	return g_stop.load(std::memory_order_acquire);
}

void env::request_stop() {
	g_stop.store(true, std::memory_order_release);
}

const char *env::telemetry_socket_hint() {
	return g_telemetry_path.c_str();
}

} // namespace skiff
