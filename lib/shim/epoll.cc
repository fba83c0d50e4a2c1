// Readiness: an epoll instance is a socket_watcher. The data plane calls its
// notify() whenever a watched socket changes (a datagram queued, shutdown,
// close): notify bumps the instance's futex word and wakes sleepers only if
// there are any. skiff_epoll_wait() then scans its registrations and asks
// the socket layer what each socket is ready for now.
//
// - Level-triggered: reported on every wait while the socket is ready.
// - Edge-triggered (EPOLLET): reported once per change of socket::seq, i.e.
//   once per new event, even if the data from the last one is still unread.
// - EPOLLONESHOT: reported once, then disarmed until EPOLL_CTL_MOD.
//
// A wait scans every registration (O(n) per wait): fine for the handful of
// sockets a shim application waits on; the native API is for more.
//
// Reclamation: a data-plane core may have loaded an instance's pointer from
// a socket's watcher slot just before the slot was cleared, and call
// notify() after EPOLL_CTL_DEL or close. So instances are never freed while
// the workers run: a closed instance's slot in the table is reused by the
// next skiff_epoll_create(), and a late notify() is then only a spurious
// wakeup, which every waiter tolerates (it rescans). skiff_fini() frees them
// after the workers stopped. This is the "defer the free" alternative to an
// RCU grace period per EPOLL_CTL_DEL; it costs no wait on the control path.

#include "shim/skiff.h"
#include "shim/state.h"

#include <algorithm>
#include <vector>

namespace skiff::shim {

namespace {

struct registration {
	int fd;
	net::socket *s; ///< counted reference
	uint32_t events;
	epoll_data_t data;
	uint32_t last_seq; ///< EPOLLET: socket::seq when last reported
	unsigned slot;     ///< index in s->watchers
	bool armed;        ///< false after an EPOLLONESHOT report
};

void epoll_notify(net::socket_watcher *self, int fd, uint32_t events);

struct instance : net::socket_watcher {
	instance() : net::socket_watcher{epoll_notify} {}

	std::atomic<uint32_t> seq{0}; ///< futex word, bumped by notify()
	std::atomic<uint32_t> sleepers{0};
	std::mutex mutex; ///< registrations; control path only
	std::vector<registration> regs;
	size_t next = 0; ///< where the next scan starts, for fairness
	bool open = false;
};

// Data plane: no lock, no syscall unless a thread sleeps in epoll_wait.
void epoll_notify(net::socket_watcher *self, int fd, uint32_t events) {
	(void)fd;
	(void)events;
	auto *ep = static_cast<instance *>(self);
	ep->seq.fetch_add(1, std::memory_order_seq_cst);
	if (ep->sleepers.load(std::memory_order_seq_cst) != 0) {
		wake_all(ep->seq);
	}
}

std::mutex table_mutex;
std::vector<std::unique_ptr<instance>> table; // index = fd - SKIFF_EPOLL_FD_BASE

instance *find(int epfd) {
	if (!is_epoll_fd(epfd)) {
		return nullptr;
	}
	std::lock_guard lock(table_mutex);
	size_t i = size_t(epfd - SKIFF_EPOLL_FD_BASE);
	return i < table.size() && table[i]->open ? table[i].get() : nullptr;
}

// Under ep.mutex.
void unregister(registration &r) {
	r.s->watchers[r.slot].store(nullptr, std::memory_order_release);
	net::socket_layer::put(r.s);
}

int add(instance &ep, int fd, const epoll_event &ev) {
	for (const registration &r : ep.regs) {
		if (r.fd == fd) {
			return -EEXIST;
		}
	}
	net::socket *s = g().layer->get(fd);
	if (!s) {
		return -EBADF;
	}
	for (unsigned i = 0; i < net::max_watchers; i++) {
		net::socket_watcher *expected = nullptr;
		if (s->watchers[i].compare_exchange_strong(expected, &ep,
		                                           std::memory_order_acq_rel)) {
			// last_seq one behind: a socket that is already ready is
			// reported once, as Linux does on EPOLL_CTL_ADD.
			uint32_t seq = s->seq.load(std::memory_order_acquire);
			ep.regs.push_back({fd, s, ev.events, ev.data, seq - 1, i, true});
			return 0;
		}
	}
	net::socket_layer::put(s);
	return -ENOSPC;
}

int control(instance &ep, int op, int fd, const epoll_event *ev) {
	std::lock_guard lock(ep.mutex);
	if (!ep.open) {
		return -EBADF;
	}
	if (op == EPOLL_CTL_ADD) {
		int rc = add(ep, fd, *ev);
		if (rc == 0) {
			epoll_notify(&ep, fd, 0); // a waiter rescans: the socket may be ready
		}
		return rc;
	}
	auto it = std::find_if(ep.regs.begin(), ep.regs.end(),
	                       [fd](const registration &r) { return r.fd == fd; });
	if (it == ep.regs.end()) {
		return -ENOENT;
	}
	if (op == EPOLL_CTL_DEL) {
		unregister(*it);
		ep.regs.erase(it);
		return 0;
	}
	it->events = ev->events;
	it->data = ev->data;
	it->armed = true;
	it->last_seq = it->s->seq.load(std::memory_order_acquire) - 1; // re-evaluate now
	epoll_notify(&ep, fd, 0);
	return 0;
}

constexpr uint32_t always_reported = EPOLLERR | EPOLLHUP;

// Fill `out` with what is ready; under ep.mutex.
int collect(instance &ep, epoll_event *out, int max) {
	if (!ep.open) {
		return -EBADF;
	}
	const net::socket_layer &layer = *g().layer;
	size_t n_regs = ep.regs.size();
	size_t start = ep.next; // round robin: the scan starts after the last one reported
	int n = 0;
	for (size_t k = 0; k < n_regs && n < max; k++) {
		size_t i = (start + k) % n_regs;
		registration &r = ep.regs[i];
		if (!r.armed) {
			continue;
		}
		// seq before the readiness check: an event that lands between
		// them is reported now and again next time, never lost.
		uint32_t seq = r.s->seq.load(std::memory_order_acquire);
		uint32_t ready = layer.poll_events(*r.s) & (r.events | always_reported);
		if (!ready || ((r.events & EPOLLET) && seq == r.last_seq)) {
			continue;
		}
		r.last_seq = seq;
		r.armed = !(r.events & EPOLLONESHOT);
		out[n].events = ready;
		out[n].data = r.data;
		n++;
		ep.next = i + 1;
	}
	return n;
}

int wait(instance &ep, epoll_event *events, int max, int timeout_ms) {
	uint64_t deadline =
	    timeout_ms < 0 ? UINT64_MAX : monotonic_ns() + uint64_t(timeout_ms) * 1'000'000ull;
	for (;;) {
		uint32_t seen = ep.seq.load(std::memory_order_acquire);
		int n;
		{
			std::lock_guard lock(ep.mutex);
			n = collect(ep, events, max);
		}
		if (n != 0 || timeout_ms == 0) {
			return n;
		}
		int w = sleep_on(ep.seq, ep.sleepers, seen, deadline);
		if (w == -ETIMEDOUT) {
			return 0;
		}
		if (w != 0) {
			return w;
		}
	}
}

int create() {
	std::lock_guard lock(table_mutex);
	auto it = std::find_if(table.begin(), table.end(),
	                       [](const std::unique_ptr<instance> &ep) { return !ep->open; });
	if (it == table.end()) {
		if (table.size() >= size_t(INT32_MAX - SKIFF_EPOLL_FD_BASE)) {
			return -EMFILE;
		}
		table.push_back(std::make_unique<instance>());
		it = table.end() - 1;
	}
	instance &ep = **it;
	std::lock_guard el(ep.mutex);
	ep.regs.clear();
	ep.next = 0;
	ep.open = true;
	return SKIFF_EPOLL_FD_BASE + int(it - table.begin());
}

void close_instance(instance &ep) {
	{
		std::lock_guard lock(ep.mutex);
		ep.open = false;
		for (registration &r : ep.regs) {
			unregister(r);
		}
		ep.regs.clear();
	}
	wake_all(ep.seq); // waiters rescan and find it closed
}

} // namespace

bool is_epoll_fd(int fd) {
	return fd >= SKIFF_EPOLL_FD_BASE;
}

int epoll_close(int epfd) {
	instance *ep = find(epfd);
	if (!ep) {
		return -EBADF;
	}
	close_instance(*ep);
	return 0;
}

void epoll_forget(net::socket &s) {
	for (auto &slot : s.watchers) {
		net::socket_watcher *w = slot.load(std::memory_order_acquire);
		if (!w || w->notify != epoll_notify) {
			continue; // empty, or a watcher that is not ours
		}
		auto *ep = static_cast<instance *>(w);
		std::lock_guard lock(ep->mutex);
		auto it = std::find_if(ep->regs.begin(), ep->regs.end(),
		                       [&s](const registration &r) { return r.s == &s; });
		if (it != ep->regs.end()) {
			unregister(*it);
			ep->regs.erase(it);
		}
	}
}

void epoll_close_all() {
	std::lock_guard lock(table_mutex);
	for (auto &ep : table) {
		close_instance(*ep);
	}
}

void epoll_free_all() {
	std::lock_guard lock(table_mutex);
	table.clear();
}

} // namespace skiff::shim

using namespace skiff::shim;

extern "C" int skiff_epoll_create1(int flags) {
	call c;
	if (!c) {
		return posix(-ENETDOWN);
	}
	if (flags & ~EPOLL_CLOEXEC) {
		return posix(-EINVAL);
	}
	return posix(create());
}

extern "C" int skiff_epoll_create(int size) {
	if (size <= 0) {
		errno = EINVAL;
		return -1;
	}
	return skiff_epoll_create1(0);
}

extern "C" int skiff_epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
	call c;
	instance *ep = c ? find(epfd) : nullptr;
	if (!ep) {
		return posix(-EBADF);
	}
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL) {
		return posix(-EINVAL);
	}
	if (fd == epfd || is_epoll_fd(fd)) {
		return posix(-EINVAL); // nested epoll sets are not supported
	}
	if (op != EPOLL_CTL_DEL && !event) {
		return posix(-EFAULT);
	}
	return posix(control(*ep, op, fd, event));
}

extern "C" int skiff_epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
	call c;
	instance *ep = c ? find(epfd) : nullptr;
	if (!ep) {
		return posix(-EBADF);
	}
	if (maxevents <= 0 || !events) {
		return posix(maxevents <= 0 ? -EINVAL : -EFAULT);
	}
	return posix(wait(*ep, events, maxevents, timeout));
}
