// Socket table lookups per second on one core, side by side:
//
//  - skiff_lf_rcu: skiff's net::socket_table, rte_hash with
//    RW_CONCURRENCY_LF and an RCU QSBR defer queue; the reader reports a
//    quiescent state every 32 lookups, as a worker does after each poll;
//  - skiff_lf_rcu_bulk: the same table through lookup_bulk(), 32 keys a call;
//  - rte_hash_plain: rte_hash with no concurrency flag (no lock, but not safe
//    against a concurrent writer: the single-threaded upper bound);
//  - rte_hash_rwlock: rte_hash with RW_CONCURRENCY (readers take a rwlock);
//  - mutex_map: std::unordered_map<flow_key, void *> behind a std::mutex.
//
// at 1K, 100K and 10M entries, random keys that are all present, one reader
// thread. Then the same lookups while a second thread inserts and deletes
// other keys continuously (lookup_with_writer/...), for the tables that are
// safe against that: the lock-free table, the rwlock rte_hash and the mutex
// map. The writer runs on another CPU when there is one.
//
// Run: build/perf/net/bench-socket-table --benchmark_min_time=0.2
//      (--benchmark_filter='/1K$|/100K$' skips building the 10M tables)

#include "env/env.h"
#include "net/flow_key.h"
#include "net/socket_table.h"

#include <benchmark/benchmark.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

using skiff::net::flow_key;

// The same CRC32-C the rte_hash tables use, so that the map is not slowed
// (or sped up) by a different hash function.
template <> struct std::hash<flow_key> {
	size_t operator()(const flow_key &k) const noexcept {
		return rte_hash_crc(&k, sizeof(k), 0);
	}
};

namespace {

[[noreturn]] void die(const std::string &what) {
	std::fprintf(stderr, "bench-socket-table: %s\n", what.c_str());
	std::exit(1);
}

uint64_t mix(uint64_t x) {
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

// A connected UDP flow's key: unique per id (the id is the remote address).
flow_key key_of(uint32_t id) {
	flow_key k;
	k.proto = IPPROTO_UDP;
	k.family = 4;
	uint64_t h = mix(id);
	k.local_port = uint16_t(h);
	k.remote_port = uint16_t(h >> 16);
	std::memcpy(k.local_addr, &h, 4);
	std::memcpy(k.remote_addr, &id, 4);
	return k;
}

void *value_of(uint32_t id) {
	return reinterpret_cast<void *>(uintptr_t(id) * 64 + 64);
}

void no_release(void *) {}

std::string unique_name(const char *base) {
	static unsigned n;
	return std::string(base) + std::to_string(n++);
}

constexpr uint32_t n_probes = 1u << 20; // random present keys, cycled through
constexpr uint32_t batch = 32;          // lookups between quiescent states
constexpr uint32_t churn_keys = 1024;   // keys the writer toggles in and out

// ---- The tables ---------------------------------------------------------------

// One QSBR variable for the process: thread 0 is the benchmark's reader.
rte_rcu_qsbr *g_qsbr;

struct lf_table {
	static constexpr const char *name = "skiff_lf_rcu";
	std::optional<skiff::net::socket_table> t;

	void create(uint32_t capacity) {
		auto r = skiff::net::socket_table::create(unique_name("bst_lf"), capacity, g_qsbr,
		                                          no_release);
		if (!r) {
			die(r.err().message);
		}
		t.emplace(std::move(*r));
	}
	bool insert(const flow_key &k, void *v) { return t->insert(k, v) == 0; }
	void remove(const flow_key &k) { t->remove(k); }
	void *lookup(const flow_key &k) { return t->lookup(k); }
	void quiescent() { rte_rcu_qsbr_quiescent(g_qsbr, 0); }
};

template <uint8_t Flags> struct raw_hash {
	rte_hash *h = nullptr;

	void create(uint32_t capacity) {
		std::string n = unique_name("bst_h");
		rte_hash_parameters p{};
		p.name = n.c_str();
		p.entries = capacity;
		p.key_len = sizeof(flow_key);
		p.hash_func = rte_hash_crc;
		p.socket_id = SOCKET_ID_ANY;
		p.extra_flag = Flags;
		h = rte_hash_create(&p);
		if (!h) {
			die(std::string("rte_hash_create: ") + rte_strerror(rte_errno) +
			    " (the EAL has 2048 MB; lower the entries)");
		}
	}
	~raw_hash() { rte_hash_free(h); }
	bool insert(const flow_key &k, void *v) { return rte_hash_add_key_data(h, &k, v) == 0; }
	void remove(const flow_key &k) { rte_hash_del_key(h, &k); }
	void *lookup(const flow_key &k) {
		void *v;
		return rte_hash_lookup_data(h, &k, &v) >= 0 ? v : nullptr;
	}
	void quiescent() {}
};

struct plain_hash : raw_hash<0> {
	static constexpr const char *name = "rte_hash_plain";
};

struct rwlock_hash : raw_hash<RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY> {
	static constexpr const char *name = "rte_hash_rwlock";
};

struct mutex_map {
	static constexpr const char *name = "mutex_map";
	std::mutex m;
	std::unordered_map<flow_key, void *> map;

	void create(uint32_t capacity) { map.reserve(capacity); }
	bool insert(const flow_key &k, void *v) {
		std::lock_guard lock(m);
		return map.emplace(k, v).second;
	}
	void remove(const flow_key &k) {
		std::lock_guard lock(m);
		map.erase(k);
	}
	void *lookup(const flow_key &k) {
		std::lock_guard lock(m);
		auto it = map.find(k);
		return it == map.end() ? nullptr : it->second;
	}
	void quiescent() {}
};

// Only one table exists at a time: the 10M ones take most of the EAL's
// memory. Benchmarks are registered grouped by (table, size) so each is
// built once.
struct holder {
	virtual ~holder() = default;
	std::string tag;
	std::vector<flow_key> probes;
	double table_mb = 0; ///< memory the table took: EAL heap, or malloc for the map
};

// Bytes allocated so far from the EAL heaps and from malloc.
size_t allocated_bytes() {
	rte_malloc_socket_stats st{};
	size_t total = 0;
	for (int s = 0; s < int(rte_socket_count()); s++) {
		if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &st) == 0) {
			total += st.heap_allocsz_bytes;
		}
	}
	return total + mallinfo2().uordblks;
}

template <typename T> struct table_holder : holder { T table; };

std::unique_ptr<holder> g_current;

template <typename T> table_holder<T> &get_table(uint32_t n) {
	std::string tag = std::string(T::name) + "/" + std::to_string(n);
	if (g_current && g_current->tag == tag) {
		return static_cast<table_holder<T> &>(*g_current);
	}
	g_current.reset(); // free the previous table before building the next
	size_t before = allocated_bytes();
	auto h = std::make_unique<table_holder<T>>();
	h->tag = tag;
	// Room for the writer's churn keys and the slots its deletes leave in
	// the defer queue until the reader's next quiescent state.
	h->table.create(n + 4 * churn_keys);
	for (uint32_t i = 0; i < n; i++) {
		if (!h->table.insert(key_of(i), value_of(i))) {
			die("table full at " + std::to_string(i) + " of " + std::to_string(n) +
			    " entries");
		}
	}
	h->table_mb = double(allocated_bytes() - before) / double(1 << 20);
	std::mt19937 rng(n);
	h->probes.resize(n_probes);
	for (flow_key &k : h->probes) {
		k = key_of(uint32_t(rng() % n));
	}
	g_current = std::move(h);
	return static_cast<table_holder<T> &>(*g_current);
}

// ---- Lookups ------------------------------------------------------------------

template <bool Bulk, typename T> uint64_t lookup_batch(T &t, const flow_key *keys) {
	uint64_t misses = 0;
	if constexpr (Bulk) {
		const flow_key *ptrs[batch];
		void *values[batch];
		for (uint32_t i = 0; i < batch; i++) {
			ptrs[i] = &keys[i];
		}
		t.t->lookup_bulk(ptrs, batch, values);
		for (uint32_t i = 0; i < batch; i++) {
			misses += values[i] == nullptr;
		}
		benchmark::DoNotOptimize(values);
	} else {
		for (uint32_t i = 0; i < batch; i++) {
			void *v = t.lookup(keys[i]);
			misses += v == nullptr;
			benchmark::DoNotOptimize(v);
		}
	}
	t.quiescent();
	return misses;
}

template <typename T, bool Bulk = false>
void run_lookups(benchmark::State &state, table_holder<T> &h) {
	rte_rcu_qsbr_thread_online(g_qsbr, 0);
	uint64_t misses = 0;
	uint32_t pos = 0;
	for (auto _ : state) {
		misses += lookup_batch<Bulk>(h.table, &h.probes[pos]);
		pos = (pos + batch) & (n_probes - 1);
	}
	rte_rcu_qsbr_thread_offline(g_qsbr, 0);
	state.SetItemsProcessed(int64_t(state.iterations() * batch));
	state.counters["table_MB"] = h.table_mb;
	if (misses) {
		state.SkipWithError("a present key was not found");
	}
}

template <typename T> void bm_lookup(benchmark::State &state, uint32_t n) {
	auto &h = get_table<T>(n);
	run_lookups(state, h);
}

// The lock-free table through lookup_bulk(), 32 keys a call.
void bm_lookup_bulk(benchmark::State &state, uint32_t n) {
	auto &h = get_table<lf_table>(n);
	run_lookups<lf_table, true>(state, h);
}

// Pin the writer away from the reader (the EAL put the main thread on CPU 0).
void pin_away_from_reader() {
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;
	CPU_ZERO(&set);
	for (long i = 1; i < n && i < CPU_SETSIZE; i++) {
		CPU_SET(i, &set);
	}
	if (n > 1) {
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
}

template <typename T> void bm_lookup_with_writer(benchmark::State &state, uint32_t n) {
	auto &h = get_table<T>(n);
	std::atomic<bool> stop{false};
	std::atomic<uint64_t> writer_ops{0};
	std::thread writer([&] {
		pin_away_from_reader();
		uint64_t ops = 0;
		// Keys n..n+churn_keys-1 go in, then out, round and round.
		while (!stop.load(std::memory_order_relaxed)) {
			for (uint32_t i = 0; i < churn_keys; i++) {
				h.table.insert(key_of(n + i), value_of(n + i));
			}
			for (uint32_t i = 0; i < churn_keys; i++) {
				h.table.remove(key_of(n + i));
			}
			ops += 2 * churn_keys;
		}
		writer_ops.store(ops);
	});
	auto start = std::chrono::steady_clock::now();
	run_lookups(state, h);
	double secs =
	    std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
	stop.store(true);
	writer.join();
	state.counters["writer_ops_per_s"] = double(writer_ops.load()) / secs;
}

void register_all() {
	const struct {
		uint32_t n;
		const char *label;
	} sizes[] = {{1000, "1K"}, {100'000, "100K"}, {10'000'000, "10M"}};
	for (const auto &s : sizes) {
		auto reg = [&](const char *kind, const char *impl, auto fn) {
			std::string name = std::string(kind) + "/" + impl + "/" + s.label;
			benchmark::RegisterBenchmark(name.c_str(), fn, s.n);
		};
		reg("lookup", lf_table::name, bm_lookup<lf_table>);
		reg("lookup_with_writer", lf_table::name, bm_lookup_with_writer<lf_table>);
		reg("lookup", "skiff_lf_rcu_bulk", bm_lookup_bulk);
		reg("lookup", plain_hash::name, bm_lookup<plain_hash>);
		reg("lookup", rwlock_hash::name, bm_lookup<rwlock_hash>);
		reg("lookup_with_writer", rwlock_hash::name, bm_lookup_with_writer<rwlock_hash>);
		reg("lookup", mutex_map::name, bm_lookup<mutex_map>);
		reg("lookup_with_writer", mutex_map::name, bm_lookup_with_writer<mutex_map>);
	}
}

} // namespace

int main(int argc, char **argv) {
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
		return 1;
	}
	// A private EAL without hugepages: 2048 MB holds one 10M-entry table
	// at a time (about 0.9 GB for the lock-free one with its defer queue).
	std::string prefix = "bst-" + std::to_string(getpid());
	const char *eal_argv[] = {
	    "bench-socket-table",       "--no-huge",     "-m",           "2048", "--no-pci",
	    "--no-telemetry",           "--file-prefix", prefix.c_str(), "-l",   "0",
	    "--log-level=lib.eal:error"};
	if (rte_eal_init(int(std::size(eal_argv)), const_cast<char **>(eal_argv)) < 0) {
		die(std::string("EAL init failed: ") + rte_strerror(rte_errno));
	}
	size_t sz = rte_rcu_qsbr_get_memsize(1);
	g_qsbr = static_cast<rte_rcu_qsbr *>(rte_zmalloc("bst_qsbr", sz, RTE_CACHE_LINE_SIZE));
	if (!g_qsbr || rte_rcu_qsbr_init(g_qsbr, 1) != 0 ||
	    rte_rcu_qsbr_thread_register(g_qsbr, 0) != 0) {
		die("cannot set up RCU QSBR");
	}
	register_all();
	benchmark::RunSpecifiedBenchmarks();
	g_current.reset();
	benchmark::Shutdown();
	rte_free(g_qsbr);
	std::string dir = rte_eal_get_runtime_dir();
	rte_eal_cleanup();
	skiff::remove_eal_runtime_dir(dir);
	return 0;
}
