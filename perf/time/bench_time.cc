// Clock and timer wheel costs. The point to check: advance() per tick costs
// the same with 0, 1K or 1M timers armed but not due.
#include "time/clock.h"
#include "time/timer_wheel.h"

#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <random>
#include <vector>

namespace skiff {
namespace {

constexpr uint64_t tick = 100'000;
constexpr uint64_t sec = 1'000'000'000;
constexpr uint64_t hour = 3600 * sec;

uint64_t g_fired;

void count_cb(timer *, void *) {
	g_fired++;
}

// Timers armed 10 h to 20 h out: never due (nor cascaded) during a run.
struct background {
	std::unique_ptr<timer[]> timers;
	size_t n;

	background(timer_wheel &w, size_t count, uint64_t now)
	    : timers(new timer[count]), n(count) {
		std::mt19937_64 rng(1);
		for (size_t i = 0; i < n; i++) {
			timers[i].fn = count_cb;
			w.arm(timers[i], now + 10 * hour + rng() % (10 * hour));
		}
	}
	void cancel_all(timer_wheel &w) {
		for (size_t i = 0; i < n; i++) {
			w.cancel(timers[i]);
		}
	}
};

void BM_rte_rdtsc(benchmark::State &state) {
	for (auto _ : state) {
		benchmark::DoNotOptimize(rte_rdtsc());
	}
}
BENCHMARK(BM_rte_rdtsc);

void BM_clock_tsc_now(benchmark::State &state) {
	auto c = clock::tsc(3'000'000'000);
	for (auto _ : state) {
		benchmark::DoNotOptimize(c.now_ns());
	}
}
BENCHMARK(BM_clock_tsc_now);

void BM_clock_manual_now(benchmark::State &state) {
	auto c = clock::manual(5);
	for (auto _ : state) {
		benchmark::DoNotOptimize(c.now_ns());
		benchmark::ClobberMemory();
	}
}
BENCHMARK(BM_clock_manual_now);

// Arm one timer at a random expiry within 10 minutes, then cancel it; with
// range(0) timers armed in the background.
void BM_arm_cancel(benchmark::State &state) {
	timer_wheel w(0, tick);
	background bg(w, static_cast<size_t>(state.range(0)), 0);
	std::mt19937_64 rng(2);
	std::vector<uint64_t> expiries(4096);
	for (auto &e : expiries) {
		e = 1 + rng() % (600 * sec);
	}
	timer t(count_cb, nullptr);
	size_t i = 0;
	for (auto _ : state) {
		w.arm(t, expiries[i++ & 4095]);
		w.cancel(t);
	}
	bg.cancel_all(w);
}
BENCHMARK(BM_arm_cancel)->Arg(0)->Arg(1'000'000);

// TCP's pattern: each ACK pushes the retransmission timer further out, so a
// timer is re-armed while armed, mostly within level 0-2.
void BM_rearm(benchmark::State &state) {
	timer_wheel w(0, tick);
	background bg(w, static_cast<size_t>(state.range(0)), 0);
	timer t(count_cb, nullptr);
	uint64_t e = 200'000'000;
	for (auto _ : state) {
		w.arm(t, e);
		e += 1'000;
	}
	w.cancel(t);
	bg.cancel_all(w);
}
BENCHMARK(BM_rearm)->Arg(0)->Arg(1'000'000);

// One tick per iteration with range(0) timers armed but not due.
void BM_advance_tick(benchmark::State &state) {
	timer_wheel w(0, tick);
	background bg(w, static_cast<size_t>(state.range(0)), 0);
	uint64_t now = 0;
	g_fired = 0;
	for (auto _ : state) {
		now += tick;
		benchmark::DoNotOptimize(w.advance(now));
	}
	if (g_fired != 0) {
		state.SkipWithError("a background timer fired");
	}
	bg.cancel_all(w);
}
BENCHMARK(BM_advance_tick)->Arg(0)->Arg(1'000)->Arg(1'000'000);

// Steady state: range(0) timers due within the next 60 s, each re-armed
// 0-60 s out when it fires (about 1.7 fires per tick with 1M). Includes
// cascading and firing; per tick.
void churn_cb(timer *t, void *arg) {
	auto *ctx = static_cast<std::pair<timer_wheel *, std::mt19937_64> *>(arg);
	ctx->first->arm(*t, ctx->first->now_ns() + 1 + ctx->second() % (60 * sec));
	g_fired++;
}

void BM_advance_tick_churn(benchmark::State &state) {
	timer_wheel w(0, tick);
	std::pair<timer_wheel *, std::mt19937_64> ctx{&w, std::mt19937_64(3)};
	auto n = static_cast<size_t>(state.range(0));
	std::unique_ptr<timer[]> timers(new timer[n]);
	for (size_t i = 0; i < n; i++) {
		timers[i].fn = churn_cb;
		timers[i].arg = &ctx;
		w.arm(timers[i], 1 + ctx.second() % (60 * sec));
	}
	uint64_t now = 0;
	g_fired = 0;
	for (auto _ : state) {
		now += tick;
		benchmark::DoNotOptimize(w.advance(now));
	}
	state.counters["fires/tick"] =
	    static_cast<double>(g_fired) / static_cast<double>(state.iterations());
	for (size_t i = 0; i < n; i++) {
		w.cancel(timers[i]);
	}
}
BENCHMARK(BM_advance_tick_churn)->Arg(1'000'000);

// Fire cost per timer: range(0) timers all due in the same tick; only the
// advance() that fires them is timed.
void BM_fire(benchmark::State &state) {
	auto n = static_cast<size_t>(state.range(0));
	std::unique_ptr<timer[]> timers(new timer[n]);
	for (size_t i = 0; i < n; i++) {
		timers[i].fn = count_cb;
	}
	timer_wheel w(0, tick);
	uint64_t now = 0;
	for (auto _ : state) {
		for (size_t i = 0; i < n; i++) {
			w.arm(timers[i], now + 5 * tick);
		}
		now += 5 * tick;
		auto t0 = std::chrono::steady_clock::now();
		unsigned fired = w.advance(now);
		auto t1 = std::chrono::steady_clock::now();
		benchmark::DoNotOptimize(fired);
		state.SetIterationTime(std::chrono::duration<double>(t1 - t0).count());
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_fire)->Arg(1'024)->UseManualTime();

// Timers that cascade from level 2 before firing (armed ~1-7 s out):
// arm + cascades + fire, per timer.
void BM_arm_cascade_fire(benchmark::State &state) {
	auto n = static_cast<size_t>(state.range(0));
	std::unique_ptr<timer[]> timers(new timer[n]);
	for (size_t i = 0; i < n; i++) {
		timers[i].fn = count_cb;
	}
	std::mt19937_64 rng(4);
	timer_wheel w(0, tick);
	uint64_t now = 0;
	for (auto _ : state) {
		for (size_t i = 0; i < n; i++) {
			w.arm(timers[i], now + sec + rng() % (6 * sec));
		}
		now += 7 * sec;
		benchmark::DoNotOptimize(w.advance(now));
	}
	state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * n));
}
BENCHMARK(BM_arm_cascade_fire)->Arg(1'024);

} // namespace
} // namespace skiff

BENCHMARK_MAIN();
