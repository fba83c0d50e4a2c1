// The cable registry: one memzone per link name holds both ends' shared
// state, so two ports find each other by name on any lcores, or in a
// primary and its secondary process. Control path only: the bursts read
// what these functions publish (link_up, lanes, rss) without locks.

#include "net_wire/wire_private.h"

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memzone.h>
#include <rte_pause.h>

#include <cstdio>
#include <new>
#include <string>
#include <unistd.h>

namespace skiff::net_wire {
namespace {

constexpr uint64_t cable_magic = 0x6e65745f77697265ull; // "net_wire"

std::string zone_name(const char *link) {
	return std::string("nw_cable_") + link;
}

void init_cable(cable *c, const char *link) {
	new (c) cable();
	snprintf(c->name, sizeof(c->name), "%s", link);
	rte_spinlock_init(&c->lock);
	c->plugged = 1;
	c->epoch_tsc = rte_rdtsc();
	__atomic_store_n(&c->magic, cable_magic, __ATOMIC_RELEASE);
}

/// Another process may have reserved the zone an instant ago: give it a
/// second to initialise it.
cable *wait_ready(const rte_memzone *mz) {
	auto *c = static_cast<cable *>(mz->addr);
	uint64_t give_up = rte_rdtsc() + rte_get_tsc_hz();
	while (__atomic_load_n(&c->magic, __ATOMIC_ACQUIRE) != cable_magic) {
		if (rte_rdtsc() > give_up) {
			return nullptr;
		}
		rte_pause();
	}
	return c;
}

result<cable *> find_or_create(const char *link) {
	std::string name = zone_name(link);
	const rte_memzone *mz = rte_memzone_lookup(name.c_str());
	if (mz == nullptr) {
		mz = rte_memzone_reserve_aligned(name.c_str(), sizeof(cable), SOCKET_ID_ANY, 0,
		                                 RTE_CACHE_LINE_SIZE);
		if (mz != nullptr) {
			init_cable(static_cast<cable *>(mz->addr), link);
			return static_cast<cable *>(mz->addr);
		}
		if (rte_errno != EEXIST) {
			return make_error(
			    -ENOMEM, "link=" + std::string(link) + ": no memory for the cable (" +
			                 rte_strerror(rte_errno) + "): give the EAL more -m");
		}
		mz = rte_memzone_lookup(name.c_str());
	}
	cable *c = mz != nullptr ? wait_ready(mz) : nullptr;
	if (c == nullptr) {
		return make_error(-EIO,
		                  "link=" + std::string(link) +
		                      ": the cable's shared state never became ready; restart "
		                      "the processes sharing it");
	}
	return c;
}

bool lanes_ready(const cable_end &e) {
	for (uint16_t q = 0; q < e.rss.nb_queues; q++) {
		if (e.lanes[q] == nullptr) {
			return false;
		}
	}
	return true;
}

/// Recompute and publish link_up. Called with the lock held.
void compute_link(cable *c) {
	const cable_end &a = c->ends[0];
	const cable_end &b = c->ends[1];
	bool up = c->plugged && a.attached && b.attached && a.started && b.started && a.admin_up &&
	          b.admin_up && lanes_ready(a) && lanes_ready(b);
	__atomic_store_n(&c->link_up, up ? 1u : 0u, __ATOMIC_RELEASE);
}

/// Tell ethdev (and LSC callbacks) about the link of every end this
/// process owns. Called without the lock: callbacks may query the port.
void notify_link(cable *c) {
	for (uint8_t e = 0; e < 2; e++) {
		const cable_end &end = c->ends[e];
		if (!end.attached || end.pid != getpid() ||
		    !rte_eth_dev_is_valid_port(end.port_id)) {
			continue;
		}
		rte_eth_dev *dev = &rte_eth_devices[end.port_id];
		auto *pp = static_cast<port_private *>(dev->data->dev_private);
		if (pp == nullptr || pp->cbl != c || pp->end != e) {
			continue;
		}
		rte_eth_link link = cable_link(c, e, pp->imp.rate_bps);
		if (rte_eth_linkstatus_set(dev, &link) == 0 && dev->data->dev_conf.intr_conf.lsc) {
			rte_eth_dev_callback_process(dev, RTE_ETH_EVENT_INTR_LSC, nullptr);
		}
	}
}

lane *create_lane(const cable *c, uint8_t into, uint16_t q, uint32_t depth, int socket) {
	char name[64]; // link names are short enough for RTE_RING_NAMESIZE
	snprintf(name, sizeof(name), "nw_%s_%u_%u", c->name, into, q);
	size_t size = sizeof(lane) + static_cast<size_t>(depth) * sizeof(held_pkt);
	auto *l = static_cast<lane *>(
	    rte_zmalloc_socket("net_wire_lane", size, RTE_CACHE_LINE_SIZE, socket));
	if (l == nullptr) {
		return nullptr;
	}
	new (l) lane();
	l->ring = rte_ring_create_elem(name, sizeof(slot), depth, socket,
	                               RING_F_SC_DEQ | RING_F_EXACT_SZ);
	if (l->ring == nullptr) {
		rte_free(l);
		return nullptr;
	}
	l->capacity = depth;
	l->heap = reinterpret_cast<held_pkt *>(l + 1);
	return l;
}

/// Create the lanes into `into` its receive queues need, sized by the
/// sender's depth. Lanes are never freed while the cable lives: a sender on
/// another lcore may still be inside a burst that saw the link up.
int ensure_lanes(cable *c, uint8_t into, int socket) {
	cable_end &rx = c->ends[into];
	const cable_end &tx = c->ends[into ^ 1];
	if (!tx.attached) {
		return 0; // its depth is unknown; the sender creates them when it starts
	}
	for (uint16_t q = 0; q < rx.rss.nb_queues; q++) {
		lane *l = rx.lanes[q];
		if (l != nullptr) {
			if (l->capacity != tx.depth) {
				NW_LOG(WARNING,
				       "link %s: lane %u into end %u keeps depth %u (queue=%u "
				       "ignored until both ports close)",
				       c->name, q, into, l->capacity, tx.depth);
			}
			continue;
		}
		l = create_lane(c, into, q, tx.depth, socket);
		if (l == nullptr) {
			NW_LOG(ERR,
			       "link %s: no memory for a lane of %u packets (%s): lower queue= or "
			       "give the EAL more -m",
			       c->name, tx.depth, rte_strerror(rte_errno));
			return -ENOMEM;
		}
		__atomic_store_n(&rx.lanes[q], l, __ATOMIC_RELEASE);
	}
	return 0;
}

void drain_into(cable *c, uint8_t end) {
	for (lane *l : c->ends[end].lanes) {
		if (l != nullptr) {
			lane_drain(l);
		}
	}
}

void destroy(cable *c) {
	for (cable_end &e : c->ends) {
		for (lane *&l : e.lanes) {
			if (l != nullptr) {
				lane_drain(l);
				rte_ring_free(l->ring);
				rte_free(l);
				l = nullptr;
			}
		}
	}
	std::string name = zone_name(c->name);
	c->magic = 0;
	const rte_memzone *mz = rte_memzone_lookup(name.c_str());
	if (mz != nullptr) {
		rte_memzone_free(mz);
	}
}

} // namespace

result<cable *> cable_attach(const impairments &imp, uint16_t port_id, uint8_t &end) {
	auto found = find_or_create(imp.link);
	if (!found) {
		return found.err();
	}
	cable *c = found.value();
	rte_spinlock_lock(&c->lock);
	int e = !c->ends[0].attached ? 0 : !c->ends[1].attached ? 1 : -1;
	if (e < 0) {
		rte_spinlock_unlock(&c->lock);
		return make_error(-EBUSY,
		                  "link=" + std::string(imp.link) +
		                      " already joins two ports: give this port another link name");
	}
	cable_end &ce = c->ends[e];
	ce.attached = 1;
	ce.started = 0;
	ce.admin_up = 1;
	ce.pid = getpid();
	ce.port_id = port_id;
	ce.depth = imp.depth;
	ce.reorder_gap = imp.reorder_gap;
	ce.reorder_timeout_tsc = imp.reorder_timeout_us * rte_get_tsc_hz() / 1000000;
	ce.rss = rss_state();
	ce.shaper_next = 0;
	compute_link(c);
	rte_spinlock_unlock(&c->lock);
	end = static_cast<uint8_t>(e);
	return c;
}

void cable_detach(cable *c, uint8_t end) {
	rte_spinlock_lock(&c->lock);
	drain_into(c, end);
	c->ends[end].attached = 0;
	c->ends[end].started = 0;
	compute_link(c);
	bool last = !c->ends[end ^ 1].attached;
	if (last) {
		destroy(c);
		return; // the lock went with the memzone
	}
	rte_spinlock_unlock(&c->lock);
	notify_link(c);
}

void cable_set_rss(cable *c, uint8_t end, const rss_state &rss) {
	rte_spinlock_lock(&c->lock);
	c->ends[end].rss = rss;
	rte_spinlock_unlock(&c->lock);
}

int cable_start(cable *c, uint8_t end, int socket) {
	rte_spinlock_lock(&c->lock);
	drain_into(c, end); // stale packets from before the last stop
	int rc = ensure_lanes(c, end, socket);
	if (rc == 0) {
		rc = ensure_lanes(c, end ^ 1, socket);
	}
	if (rc == 0) {
		c->ends[end].shaper_next = 0;
		c->ends[end].started = 1;
	}
	compute_link(c);
	rte_spinlock_unlock(&c->lock);
	notify_link(c);
	return rc;
}

void cable_stop(cable *c, uint8_t end) {
	rte_spinlock_lock(&c->lock);
	c->ends[end].started = 0;
	compute_link(c);
	rte_spinlock_unlock(&c->lock);
	notify_link(c);
	drain_into(c, end);
}

void cable_set_admin(cable *c, uint8_t end, bool up) {
	rte_spinlock_lock(&c->lock);
	c->ends[end].admin_up = up;
	compute_link(c);
	rte_spinlock_unlock(&c->lock);
	notify_link(c);
}

void cable_set_plugged(cable *c, bool plugged) {
	rte_spinlock_lock(&c->lock);
	c->plugged = plugged;
	compute_link(c);
	rte_spinlock_unlock(&c->lock);
	notify_link(c);
}

rte_eth_link cable_link(const cable *c, uint8_t end, uint64_t rate_bps) {
	(void)end; // both ends see the same cable
	rte_eth_link link = {};
	link.link_status =
	    __atomic_load_n(&c->link_up, __ATOMIC_ACQUIRE) ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
	link.link_duplex = RTE_ETH_LINK_FULL_DUPLEX;
	link.link_autoneg = RTE_ETH_LINK_FIXED;
	uint64_t mbps = rate_bps ? (rate_bps + 999999) / 1000000 : RTE_ETH_SPEED_NUM_100G;
	link.link_speed = static_cast<uint32_t>(mbps);
	return link;
}

uint64_t cable_held(const cable *c, uint8_t end) {
	uint64_t n = 0;
	for (const lane *l : c->ends[end].lanes) {
		if (l != nullptr) {
			n += rte_ring_count(l->ring) + __atomic_load_n(&l->held, __ATOMIC_RELAXED);
		}
	}
	return n;
}

} // namespace skiff::net_wire
