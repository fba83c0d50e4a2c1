// Bring-up and teardown of the shim: options, the runtime, and the worker
// threads that poll in the background while the application's threads make
// socket calls.

#include "shim/skiff.h"
#include "shim/skiff.hpp"
#include "shim/state.h"

#include "env/env.h"

#include <rte_lcore.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstring>
#include <ctime>

namespace skiff::shim {

state &g() {
	static state s;
	return s;
}

uint64_t monotonic_ns() {
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return uint64_t(ts.tv_sec) * 1'000'000'000ull + uint64_t(ts.tv_nsec);
}

int sleep_on(std::atomic<uint32_t> &word, std::atomic<uint32_t> &sleepers, uint32_t seen,
             uint64_t deadline_ns) {
	timespec ts{};
	timespec *timeout = nullptr;
	if (deadline_ns != UINT64_MAX) {
		uint64_t now = monotonic_ns();
		if (now >= deadline_ns) {
			return -ETIMEDOUT;
		}
		uint64_t left = deadline_ns - now;
		ts.tv_sec = time_t(left / 1'000'000'000ull);
		ts.tv_nsec = long(left % 1'000'000'000ull);
		timeout = &ts;
	}
	sleepers.fetch_add(1, std::memory_order_seq_cst);
	int err = 0;
	if (word.load(std::memory_order_seq_cst) == seen &&
	    syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAIT_PRIVATE, seen,
	            timeout, nullptr, 0) != 0) {
		err = errno; // EAGAIN: it changed before we slept, as good as a wakeup
	}
	sleepers.fetch_sub(1, std::memory_order_seq_cst);
	return err == ETIMEDOUT || err == EINTR ? -err : 0;
}

void wake_all(std::atomic<uint32_t> &word) {
	word.fetch_add(1, std::memory_order_seq_cst);
	syscall(SYS_futex, reinterpret_cast<uint32_t *>(&word), FUTEX_WAKE_PRIVATE, INT_MAX,
	        nullptr, nullptr, 0);
}

net::socket_layer &sockets() {
	return *g().layer;
}
app::runtime &runtime() {
	return *g().rt;
}

namespace {

// SIGINT and SIGTERM go to the application's threads, where they interrupt
// blocking calls (EINTR), not to the pollers.
void block_stop_signals() {
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

void poll_loop(net::worker &w, bool print_stats) {
	block_stop_signals();
	state &st = g();
	uint64_t every = uint64_t(st.stats_interval) * 1'000'000'000ull;
	uint64_t next = print_stats && every ? monotonic_ns() + every : UINT64_MAX;
	for (uint32_t n = 0; !st.stop_workers.load(std::memory_order_relaxed); n++) {
		w.poll();
		if ((n & 1023) == 0 && next != UINT64_MAX && monotonic_ns() >= next) {
			st.rt->print_stats();
			next += every;
		}
	}
	w.flush();
	w.go_offline();
}

int lcore_main(void *arg) {
	poll_loop(*static_cast<net::worker *>(arg), false);
	return 0;
}

// The main lcore's worker runs on a thread of its own, registered with the
// EAL for an lcore id (per-lcore mempool caches) when one is free.
void main_worker(net::worker *w) {
	bool registered = rte_thread_register() == 0;
	poll_loop(*w, true);
	if (registered) {
		rte_thread_unregister();
	}
}

void stop_workers(state &st) {
	st.stop_workers.store(true);
	if (st.main_worker.joinable()) {
		st.main_worker.join();
	}
	rte_eal_mp_wait_lcore();
}

int launch_workers(state &st) {
	const auto &lcores = st.rt->env().lcores();
	net::stack &stack = st.rt->stack();
	st.stop_workers.store(false);
	for (size_t i = 1; i < lcores.size(); i++) {
		int rc = rte_eal_remote_launch(lcore_main, &stack.worker_at(i), lcores[i]);
		if (rc != 0) {
			spdlog::error("cannot start worker {} on lcore {}: {}", i, lcores[i],
			              strerror(-rc));
			stop_workers(st);
			return rc;
		}
	}
	st.main_worker = std::thread(main_worker, &stack.worker_at(0));
	return 0;
}

const char *prog_name(int argc, char **argv) {
	if (argc < 1 || !argv[0]) {
		return "skiff";
	}
	const char *slash = std::strrchr(argv[0], '/');
	return slash ? slash + 1 : argv[0];
}

} // namespace

} // namespace skiff::shim

using namespace skiff::shim;

extern "C" int skiff_add_option(const char *name, const char **value, const char *help) {
	state &st = g();
	std::lock_guard lock(st.init_mutex);
	if (!name || std::strncmp(name, "--", 2) != 0 || !name[2] || !value || st.used) {
		errno = EINVAL;
		return -1;
	}
	app_option &o = st.options.emplace_back();
	o.name = name;
	o.help = help ? help : "";
	o.value = value;
	o.text = *value ? *value : "";
	return 0;
}

extern "C" int skiff_init(int argc, char **argv) {
	state &st = g();
	std::lock_guard lock(st.init_mutex);
	const char *prog = prog_name(argc, argv);
	if (st.used) {
		std::fprintf(stderr,
		             "%s: skiff_init() was already called: the stack comes up once "
		             "per process\n",
		             prog);
		errno = EALREADY;
		return -1;
	}
	skiff::options opts;
	CLI::App cli{std::string(prog) + ": a skiff application (socket shim)"};
	cli.name(prog);
	skiff::add_common_options(cli, opts);
	for (app_option &o : st.options) {
		cli.add_option(o.name, o.text, o.help)->capture_default_str();
	}
	if (auto rc = skiff::app::parse_cli(cli, argc, argv)) {
		if (*rc == 0) {
			return 1; // --help
		}
		errno = EINVAL;
		return -1;
	}
	for (app_option &o : st.options) {
		*o.value = o.text.c_str();
	}
	st.used = true;
	auto rt = skiff::app::runtime::start(opts, argc > 0 ? argv[0] : "skiff");
	if (!rt) {
		skiff::report_startup_error(prog, rt.err());
		errno = -rt.err().code;
		return -1;
	}
	st.rt = std::move(*rt);
	st.layer = &st.rt->sockets();
	st.stats_interval = opts.stats_interval;
	st.deadline_ns = opts.duration > 0 ? monotonic_ns() + uint64_t(opts.duration * 1e9) : 0;
	if (int rc = launch_workers(st); rc != 0) {
		st.layer = nullptr;
		st.rt.reset();
		errno = -rc;
		return -1;
	}
	st.now.store(phase::up, std::memory_order_seq_cst);
	return 0;
}

extern "C" void skiff_fini(void) {
	state &st = g();
	std::lock_guard lock(st.init_mutex);
	if (st.now.load() != phase::up) {
		return;
	}
	st.now.store(phase::stopping, std::memory_order_seq_cst);
	// Calls that entered before `stopping` may be asleep: closing their
	// socket or epoll instance wakes them, and they see EBADF. Repeat until
	// none is left, since one may have opened a socket meanwhile.
	for (;;) {
		std::set<int> fds;
		{
			std::lock_guard fl(st.fds_mutex);
			fds.swap(st.fds);
		}
		for (int fd : fds) {
			close_socket(fd);
		}
		epoll_close_all();
		if (st.active.load(std::memory_order_seq_cst) == 0) {
			break;
		}
		usleep(1000);
	}
	stop_workers(st);
	epoll_free_all();
	st.rt->print_stats();
	st.layer = nullptr;
	st.rt.reset();
	st.now.store(phase::down);
}

extern "C" int skiff_stopping(void) {
	state &st = g();
	phase p = st.now.load(std::memory_order_acquire);
	if (p == phase::stopping || (p == phase::down && st.used)) {
		return 1;
	}
	if (skiff::env::stop_requested()) {
		return 1;
	}
	return st.deadline_ns != 0 && monotonic_ns() >= st.deadline_ns;
}
