// socket_table under concurrent insert, delete and lookup, checked against
// an oracle. Reader threads (registered RCU QSBR readers that report a
// quiescent state after every batch, as a worker does after every poll)
// look keys up while a writer thread inserts and deletes. The oracle:
//   - a looked-up value is a live, fully built object for that exact key:
//     values are only ever "released" by the table's release callback, which
//     poisons them instead of freeing them, so a reader that sees poison has
//     caught a grace period cut short;
//   - keys that are never deleted are always found (cuckoo moves by the
//     writer must not make a present key disappear, even briefly);
//   - at the end, every value that was ever inserted was released exactly
//     once (by the defer queue after its delete, or by the table's
//     destructor for the ones still present).
//
// Values live in an arena that outlives the table, so even a reader that
// gets a stale pointer reads defined memory and reports it instead of
// crashing. Needs: net (and the EAL from test_main).

#include "net/socket_table.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace skiff::net {
namespace {

constexpr uint32_t live_magic = 0x5ca1ab1e;
constexpr uint32_t dead_magic = 0xdeadbeef;

struct value {
	flow_key key;
	uint64_t check = 0; ///< a function of the key: catches half-built objects
	// Atomic so that the poisoning store in the release callback and the
	// readers' loads are not data races (this test also runs under TSan).
	std::atomic<uint32_t> magic{0};
	std::atomic<uint32_t> releases{0};
};

std::atomic<uint64_t> g_released{0};

void release_value(void *p) {
	auto *v = static_cast<value *>(p);
	v->magic.store(dead_magic, std::memory_order_release);
	v->releases.fetch_add(1, std::memory_order_relaxed);
	g_released.fetch_add(1, std::memory_order_relaxed);
}

uint64_t mix(uint64_t x) {
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

flow_key key_of(uint32_t id) {
	flow_key k;
	k.proto = IPPROTO_UDP;
	k.family = 4;
	k.local_port = uint16_t(mix(id));
	k.remote_port = uint16_t(id);
	uint64_t h = mix(id + 1);
	std::memcpy(k.local_addr, &h, 4);
	std::memcpy(k.remote_addr, &id, 4); // unique per id
	return k;
}

void init_value(value &v, uint32_t id) {
	v.key = key_of(id);
	v.check = mix(id) ^ 0x1234;
	v.releases.store(0, std::memory_order_relaxed);
	// Release: a reader whose acquire load sees live_magic also sees the
	// fields above (rte_hash's own publication orders the pointer).
	v.magic.store(live_magic, std::memory_order_release);
}

struct xorshift {
	uint64_t s;
	uint32_t operator()() {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		return uint32_t(s >> 11);
	}
};

/// The test main's thread is pinned to one CPU by the EAL; let these
/// threads run on any, so that readers and the writer truly overlap.
void unpin() {
	cpu_set_t set;
	CPU_ZERO(&set);
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	for (long i = 0; i < n && i < CPU_SETSIZE; i++) {
		CPU_SET(i, &set);
	}
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

struct qsbr_holder {
	explicit qsbr_holder(uint32_t readers) {
		size_t sz = rte_rcu_qsbr_get_memsize(readers);
		v = static_cast<rte_rcu_qsbr *>(rte_zmalloc("test_qsbr", sz, RTE_CACHE_LINE_SIZE));
		if (v && rte_rcu_qsbr_init(v, readers) != 0) {
			rte_free(v);
			v = nullptr;
		}
	}
	~qsbr_holder() { rte_free(v); }
	rte_rcu_qsbr *v = nullptr;
};

uint32_t live_entries(const socket_table &t) {
	const void *key;
	void *data;
	uint32_t next = 0, n = 0;
	while (rte_hash_iterate(t.raw(), &key, &data, &next) >= 0) {
		n++;
	}
	return n;
}

std::string unique_table_name() {
	static unsigned n;
	return "stress" + std::to_string(n++);
}

// What each reader saw; all but `lookups` and `hits` must stay zero.
struct reader_tally {
	uint64_t lookups = 0;
	uint64_t hits = 0;
	uint64_t stable_missing = 0;
	uint64_t foreign_pointer = 0; ///< not a value from the arena
	uint64_t poisoned = 0;        ///< released before the grace period ended
	uint64_t unbuilt = 0;         ///< magic neither live nor dead
	uint64_t wrong_key = 0;       ///< a live value for another key
};

struct stress_setup {
	uint32_t n_stable = 1024; ///< inserted first, never deleted
	uint32_t n_churn = 4096;  ///< inserted and deleted by the writer
	uint32_t n_readers = 3;
	uint32_t arena_size = 1u << 19;
	uint32_t capacity = 0; ///< table entries; 0 = twice the keys
	std::chrono::milliseconds duration{2000};
};

class stress_run {
public:
	explicit stress_run(const stress_setup &s)
	    : _s(s), _qsbr(s.n_readers), _stable(new value[s.n_stable]),
	      _arena(new value[s.arena_size]) {}

	rte_rcu_qsbr *qsbr() const { return _qsbr.v; }

	void check_value(reader_tally &t, uint32_t id, const void *p) const {
		t.hits++;
		const value *v = static_cast<const value *>(p);
		bool in_arena = v >= &_arena[0] && v < &_arena[_s.arena_size];
		bool in_stable = v >= &_stable[0] && v < &_stable[_s.n_stable];
		if (!in_arena && !in_stable) {
			t.foreign_pointer++;
			return;
		}
		uint32_t m = v->magic.load(std::memory_order_acquire);
		if (m == dead_magic) {
			t.poisoned++;
		} else if (m != live_magic) {
			t.unbuilt++;
		} else if (!(v->key == key_of(id)) || v->check != (mix(id) ^ 0x1234)) {
			t.wrong_key++;
		}
	}

	void reader(socket_table &table, uint32_t rid, reader_tally &t) {
		unpin();
		rte_rcu_qsbr_thread_register(_qsbr.v, rid);
		rte_rcu_qsbr_thread_online(_qsbr.v, rid);
		xorshift rng{0x9e3779b97f4a7c15ull * (rid + 1)};
		uint32_t n_keys = _s.n_stable + _s.n_churn;
		for (uint64_t batch = 0; !_stop.load(std::memory_order_relaxed); batch++) {
			if (batch % 2 == 0) {
				single_lookups(table, rng, n_keys, t);
			} else {
				bulk_lookups(table, rng, n_keys, t);
			}
			// Like worker::poll(): no value pointer survives this point.
			rte_rcu_qsbr_quiescent(_qsbr.v, rid);
		}
		rte_rcu_qsbr_thread_offline(_qsbr.v, rid);
		rte_rcu_qsbr_thread_unregister(_qsbr.v, rid);
	}

	void single_lookups(socket_table &table, xorshift &rng, uint32_t n_keys, reader_tally &t) {
		for (int i = 0; i < 32; i++) {
			uint32_t id = rng() % n_keys;
			const void *p = table.lookup(key_of(id));
			t.lookups++;
			if (!p) {
				t.stable_missing += id < _s.n_stable;
				continue;
			}
			if (i == 0 && (rng() & 7) == 0) {
				// Hold the pointer across a reschedule: the writer may
				// delete the key meanwhile; the value must stay live.
				std::this_thread::yield();
			}
			check_value(t, id, p);
		}
	}

	void bulk_lookups(socket_table &table, xorshift &rng, uint32_t n_keys, reader_tally &t) {
		constexpr uint32_t n = 16;
		flow_key keys[n];
		const flow_key *ptrs[n];
		uint32_t ids[n];
		void *values[n];
		for (uint32_t i = 0; i < n; i++) {
			ids[i] = rng() % n_keys;
			keys[i] = key_of(ids[i]);
			ptrs[i] = &keys[i];
		}
		table.lookup_bulk(ptrs, n, values);
		t.lookups += n;
		for (uint32_t i = 0; i < n; i++) {
			if (!values[i]) {
				t.stable_missing += ids[i] < _s.n_stable;
			} else {
				check_value(t, ids[i], values[i]);
			}
		}
	}

	// The writer: toggles random churn keys in and out of the table.
	void writer(socket_table &table) {
		unpin();
		xorshift rng{42};
		auto end = std::chrono::steady_clock::now() + _s.duration;
		_slot_of.assign(_s.n_churn, -1);
		while (_used < _s.arena_size) {
			if ((_ops & 255) == 0 && std::chrono::steady_clock::now() >= end) {
				break;
			}
			if ((++_ops & 15) == 0) {
				// Let the readers run: on a two-core machine a writer
				// that never yields would have the table to itself.
				std::this_thread::yield();
			}
			uint32_t c = rng() % _s.n_churn;
			uint32_t id = _s.n_stable + c;
			if (_slot_of[c] >= 0) {
				_errors += table.remove(key_of(id)) != 0;
				_slot_of[c] = -1;
				_removes++;
				continue;
			}
			value &v = _arena[_used];
			init_value(v, id);
			int rc = table.insert(v.key, &v);
			if (rc == 0) {
				_slot_of[c] = int32_t(_used++);
				_inserts++;
			} else if (rc == -ENOSPC) {
				v.magic.store(0, std::memory_order_relaxed); // never published
				_full++;
			} else {
				_errors++;
			}
		}
		// Contract checks on the control side while readers still run.
		_errors += table.remove(key_of(_s.n_stable + _s.n_churn + 7)) != -ENOENT;
		_errors += table.insert(_stable[0].key, &_stable[0]) != -EEXIST;
		_stop.store(true, std::memory_order_relaxed);
	}

	void run() {
		g_released.store(0);
		uint32_t capacity = _s.capacity ? _s.capacity : 2 * (_s.n_stable + _s.n_churn);
		auto table =
		    socket_table::create(unique_table_name(), capacity, _qsbr.v, release_value);
		ASSERT_TRUE(table.ok()) << table.err().message;
		for (uint32_t i = 0; i < _s.n_stable; i++) {
			init_value(_stable[i], i);
			ASSERT_EQ(table->insert(_stable[i].key, &_stable[i]), 0);
		}
		std::vector<reader_tally> tallies(_s.n_readers);
		std::vector<std::thread> readers;
		for (uint32_t r = 0; r < _s.n_readers; r++) {
			readers.emplace_back([&, r] { reader(*table, r, tallies[r]); });
		}
		std::thread w([&] { writer(*table); });
		w.join();
		for (auto &t : readers) {
			t.join();
		}
		reader_tally sum;
		for (const reader_tally &t : tallies) {
			sum.lookups += t.lookups;
			sum.hits += t.hits;
			sum.stable_missing += t.stable_missing;
			sum.foreign_pointer += t.foreign_pointer;
			sum.poisoned += t.poisoned;
			sum.unbuilt += t.unbuilt;
			sum.wrong_key += t.wrong_key;
		}
		std::printf(
		    "  %u readers: %lu lookups (%lu hits); writer: %lu inserts, %lu deletes, "
		    "%lu table-full, %lu released during the run\n",
		    _s.n_readers, sum.lookups, sum.hits, _inserts, _removes, _full,
		    g_released.load());
		EXPECT_EQ(_errors, 0u) << "a control call returned an unexpected code";
		EXPECT_EQ(sum.stable_missing, 0u) << "a key that was never deleted was not found";
		EXPECT_EQ(sum.foreign_pointer, 0u) << "lookup returned a pointer nobody inserted";
		EXPECT_EQ(sum.poisoned, 0u)
		    << "a reader saw a value released before its grace period";
		EXPECT_EQ(sum.unbuilt, 0u) << "a reader saw a value before it was built";
		EXPECT_EQ(sum.wrong_key, 0u) << "a reader got the value of another key";
		EXPECT_GT(sum.hits, 0u);
		EXPECT_GT(_inserts, 100u);
		EXPECT_GT(_removes, 100u);

		uint32_t present = 0;
		for (int32_t s : _slot_of) {
			present += s >= 0;
		}
		EXPECT_EQ(live_entries(*table), _s.n_stable + present);
		// size() also counts deleted keys whose slots await reclamation.
		EXPECT_GE(table->size(), _s.n_stable + present);
		// No reader is online now: destroying the table releases what it
		// still holds and drains its defer queue.
		{ socket_table gone = std::move(*table); }
		uint64_t inserted = _used + _s.n_stable;
		EXPECT_EQ(g_released.load(), inserted) << "every inserted value is released once";
		uint64_t not_once = 0;
		for (uint32_t i = 0; i < _used; i++) {
			not_once += _arena[i].releases.load() != 1;
		}
		for (uint32_t i = 0; i < _s.n_stable; i++) {
			not_once += _stable[i].releases.load() != 1;
		}
		EXPECT_EQ(not_once, 0u) << "values released zero times or more than once";
	}

private:
	stress_setup _s;
	qsbr_holder _qsbr;
	std::unique_ptr<value[]> _stable;
	std::unique_ptr<value[]> _arena;
	std::atomic<bool> _stop{false};
	// Writer-only state, read after join().
	std::vector<int32_t> _slot_of;
	uint32_t _used = 0;
	uint64_t _ops = 0, _inserts = 0, _removes = 0, _full = 0, _errors = 0;
};

TEST(socket_table_stress, concurrent_insert_delete_lookup) {
	stress_run run{stress_setup{}};
	ASSERT_NE(run.qsbr(), nullptr);
	run.run();
}

// A small table that the writer keeps nearly full, so that inserts depend
// on the defer queue handing back key slots while readers hold pointers.
TEST(socket_table_stress, nearly_full_table) {
	stress_setup s;
	s.n_stable = 64;
	s.n_churn = 512;
	s.n_readers = 2;
	s.capacity = s.n_stable + s.n_churn + 16;
	s.duration = std::chrono::milliseconds(1000);
	stress_run run{s};
	ASSERT_NE(run.qsbr(), nullptr);
	run.run();
}

// The grace period, step by step on one thread: a deleted value stays live
// while a registered reader has not reported a quiescent state, and is
// released by the next delete once it has.
TEST(socket_table_rcu, value_outlives_delete_until_readers_quiesce) {
	qsbr_holder q(1);
	ASSERT_NE(q.v, nullptr);
	ASSERT_EQ(rte_rcu_qsbr_thread_register(q.v, 0), 0);
	rte_rcu_qsbr_thread_online(q.v, 0);
	g_released.store(0);
	value v[3];
	{
		auto table = socket_table::create(unique_table_name(), 64, q.v, release_value);
		ASSERT_TRUE(table.ok()) << table.err().message;
		for (uint32_t i = 0; i < 3; i++) {
			init_value(v[i], i);
			ASSERT_EQ(table->insert(v[i].key, &v[i]), 0);
		}
		ASSERT_EQ(table->lookup(v[0].key), &v[0]);
		ASSERT_EQ(table->remove(v[0].key), 0);
		EXPECT_EQ(table->lookup(v[0].key), nullptr);
		EXPECT_EQ(v[0].magic.load(), live_magic) << "released while a reader may hold it";

		rte_rcu_qsbr_quiescent(q.v, 0);
		ASSERT_EQ(table->remove(v[1].key), 0); // reclaims what is past its grace
		EXPECT_EQ(v[0].releases.load(), 1u) << "not released by the next delete";
		EXPECT_EQ(v[1].releases.load(), 0u) << "released before its own grace period";

		ASSERT_EQ(table->remove(v[2].key), 0); // still no quiescent state since v[1]
		EXPECT_EQ(v[1].releases.load(), 0u);
		rte_rcu_qsbr_thread_offline(q.v, 0);
	}
	EXPECT_EQ(v[1].releases.load(), 1u) << "the destructor drains the defer queue";
	EXPECT_EQ(v[2].releases.load(), 1u);
	EXPECT_EQ(g_released.load(), 3u);
	rte_rcu_qsbr_thread_unregister(q.v, 0);
}

} // namespace
} // namespace skiff::net
