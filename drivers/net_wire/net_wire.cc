// net_wire: a DPDK poll-mode driver for a virtual cable with impairments.
//
//   --vdev net_wire0,link=x,loss=1,delay=500 --vdev net_wire1,link=x
//
// Two ports with the same link= are the two ends of one cable; each port's
// devargs impair what it transmits. This file is the ethdev face of the
// driver: registration, probe/remove and the control ops. The cable
// registry is wire_cable.cc, the bursts wire_tx.cc and wire_rx.cc.
//
// Written in C++ like the rest of skiff but in DPDK's driver idiom: ops
// return 0 or a negative errno and log one line on failure. Debian's
// libdpdk-dev lacks the driver SDK headers, so the unmodified 22.11 ones
// are in dpdk_sdk/ (see its README).

#include "net_wire/rte_pmd_net_wire.h"
#include "net_wire/wire_private.h"
#include "net_wire/wire_rng.h"

#include <bus_vdev_driver.h>
#include <ethdev_vdev.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_string_fns.h>
#include <rte_thash.h>

#include <cinttypes>
#include <new>

namespace skiff::net_wire {

RTE_LOG_REGISTER(logtype, pmd.net.wire, NOTICE);

namespace {

constexpr uint64_t rss_hf_supported = RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP;

const char *const xstat_names[n_xstat_counters + 1] = {
    "dropped_loss",       "dropped_burst",     "dropped_rate", "dropped_mtu",
    "dropped_queue_full", "dropped_link_down", "corrupted",    "duplicated",
    "reordered",          "delayed",           "rx_held"};

port_private *priv(const rte_eth_dev *dev) {
	return static_cast<port_private *>(dev->data->dev_private);
}

const char *dev_name(const rte_eth_dev *dev) {
	return dev->data->name;
}

/// 0x6d5a repeated: Toeplitz over it is symmetric in (src, dst) and
/// (sport, dport), so both directions of a flow pick the same queue.
void set_key(rss_state &rss, const uint8_t *key) {
	for (unsigned i = 0; i < rss_key_len; i++) {
		rss.key[i] = key != nullptr ? key[i] : (i % 2 == 0 ? 0x6d : 0x5a);
	}
	rte_convert_rss_key(reinterpret_cast<const uint32_t *>(rss.key), rss.key_be, rss_key_len);
}

void set_hf(rss_state &rss, const rte_eth_dev *dev, uint64_t hf) {
	rss.hf = hf & rss_hf_supported;
	rss.enabled = (dev->data->dev_conf.rxmode.mq_mode & RTE_ETH_MQ_RX_RSS_FLAG) && rss.hf != 0;
}

int dev_configure(rte_eth_dev *dev) {
	port_private *pp = priv(dev);
	if (pp->imp.mtu_given) {
		dev->data->mtu = pp->imp.mtu; // the devarg wins over ethdev's default
	}
	const rte_eth_rss_conf &conf = dev->data->dev_conf.rx_adv_conf.rss_conf;
	if (conf.rss_key != nullptr && conf.rss_key_len != rss_key_len) {
		NW_LOG(ERR, "%s: RSS key of %u bytes: net_wire takes %u (dev_info.hash_key_size)",
		       dev_name(dev), conf.rss_key_len, rss_key_len);
		return -EINVAL;
	}
	rss_state rss;
	set_key(rss, conf.rss_key);
	set_hf(rss, dev, conf.rss_hf);
	rss.nb_queues = dev->data->nb_rx_queues;
	for (uint16_t i = 0; i < reta_size; i++) {
		rss.reta[i] = i % rss.nb_queues;
	}
	cable_set_rss(pp->cbl, pp->end, rss);
	return 0;
}

/// The transmit path's constants, from the devargs, MTU and TSC rate.
void derive(port_private *pp, const rte_eth_dev *dev) {
	const impairments &imp = pp->imp;
	uint64_t hz = rte_get_tsc_hz();
	pp->max_frame = dev->data->mtu + RTE_ETHER_HDR_LEN;
	pp->delay_tsc = imp.delay_us * hz / 1000000;
	pp->jitter_tsc = imp.jitter_us * hz / 1000000;
	pp->pps_cost = imp.rate_pps ? (hz << shaper_shift) / imp.rate_pps : 0;
	pp->byte_cost = imp.rate_bps ? ((hz * 8) << (shaper_shift + 16)) / imp.rate_bps : 0;
	if (imp.rate_pps && pp->pps_cost == 0) {
		pp->pps_cost = 1; // faster than the TSC can tell: still a shaper
	}
	pp->impaired = (imp.loss | imp.ge_p | imp.corrupt | imp.dup | imp.reorder | imp.delay_us |
	                imp.jitter_us | imp.rate_pps | imp.rate_bps) != 0;
}

int dev_start(rte_eth_dev *dev) {
	port_private *pp = priv(dev);
	derive(pp, dev);
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		auto *txq = static_cast<tx_queue *>(dev->data->tx_queues[q]);
		txq->rng = rng_seed(pp->imp.seed, q); // a restart replays the same fates
		txq->ge_bad = 0;
		txq->single_producer = dev->data->nb_tx_queues == 1;
	}
	int rc = cable_start(pp->cbl, pp->end, dev->data->numa_node);
	if (rc != 0) {
		return rc;
	}
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STARTED;
	}
	return 0;
}

int dev_stop(rte_eth_dev *dev) {
	cable_stop(priv(dev)->cbl, priv(dev)->end);
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		dev->data->rx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		dev->data->tx_queue_state[q] = RTE_ETH_QUEUE_STATE_STOPPED;
	}
	return 0;
}

int dev_set_link_up(rte_eth_dev *dev) {
	cable_set_admin(priv(dev)->cbl, priv(dev)->end, true);
	return 0;
}

int dev_set_link_down(rte_eth_dev *dev) {
	cable_set_admin(priv(dev)->cbl, priv(dev)->end, false);
	return 0;
}

void rx_queue_release(rte_eth_dev *dev, uint16_t qid) {
	rte_free(dev->data->rx_queues[qid]);
	dev->data->rx_queues[qid] = nullptr;
}

void tx_queue_release(rte_eth_dev *dev, uint16_t qid) {
	rte_free(dev->data->tx_queues[qid]);
	dev->data->tx_queues[qid] = nullptr;
}

int dev_close(rte_eth_dev *dev) {
	if (rte_eal_process_type() != RTE_PROC_PRIMARY) {
		return 0;
	}
	port_private *pp = priv(dev);
	if (pp->cbl == nullptr) {
		return 0;
	}
	if (dev->data->dev_started) {
		cable_stop(pp->cbl, pp->end);
	}
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		rx_queue_release(dev, q);
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		tx_queue_release(dev, q);
	}
	cable_detach(pp->cbl, pp->end);
	pp->cbl = nullptr;
	dev->data->mac_addrs = nullptr; // part of dev_private, not to be freed alone
	return 0;
}

int link_update(rte_eth_dev *dev, int wait_to_complete) {
	(void)wait_to_complete;
	port_private *pp = priv(dev);
	rte_eth_link link = cable_link(pp->cbl, pp->end, pp->imp.rate_bps);
	return rte_eth_linkstatus_set(dev, &link);
}

int no_op(rte_eth_dev *) {
	return 0;
} // promiscuous, allmulticast: a cable filters nothing

int mac_addr_set(rte_eth_dev *, rte_ether_addr *) {
	return 0;
} // ethdev stores it

int mtu_set(rte_eth_dev *dev, uint16_t mtu) {
	priv(dev)->max_frame = mtu + RTE_ETHER_HDR_LEN; // ethdev checked the range
	return 0;
}

int stats_get(rte_eth_dev *dev, rte_eth_stats *st) {
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		auto *rxq = static_cast<const rx_queue *>(dev->data->rx_queues[q]);
		if (rxq == nullptr) {
			continue;
		}
		uint64_t pkts = rxq->packets - rxq->base_packets;
		uint64_t bytes = rxq->bytes - rxq->base_bytes;
		st->ipackets += pkts;
		st->ibytes += bytes;
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_ipackets[q] = pkts;
			st->q_ibytes[q] = bytes;
		}
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		auto *txq = static_cast<const tx_queue *>(dev->data->tx_queues[q]);
		if (txq == nullptr) {
			continue;
		}
		auto v = [txq](counter c) { return txq->cnt.v[c] - txq->base.v[c]; };
		st->opackets += v(c_sent);
		st->obytes += v(c_sent_bytes);
		st->oerrors += v(c_dropped_mtu) + v(c_dropped_link_down);
		if (q < RTE_ETHDEV_QUEUE_STAT_CNTRS) {
			st->q_opackets[q] = v(c_sent);
			st->q_obytes[q] = v(c_sent_bytes);
		}
	}
	return 0;
}

/// Remember the current values as zero: the data path stays the only writer.
int stats_reset(rte_eth_dev *dev) {
	for (uint16_t q = 0; q < dev->data->nb_rx_queues; q++) {
		auto *rxq = static_cast<rx_queue *>(dev->data->rx_queues[q]);
		if (rxq != nullptr) {
			rxq->base_packets = rxq->packets;
			rxq->base_bytes = rxq->bytes;
		}
	}
	for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
		auto *txq = static_cast<tx_queue *>(dev->data->tx_queues[q]);
		if (txq != nullptr) {
			txq->base = txq->cnt;
		}
	}
	return 0;
}

int xstats_get(rte_eth_dev *dev, rte_eth_xstat *xs, unsigned n) {
	constexpr unsigned total = RTE_DIM(xstat_names);
	if (xs == nullptr || n < total) {
		return total;
	}
	for (unsigned i = 0; i < n_xstat_counters; i++) {
		xs[i] = {i, 0};
		for (uint16_t q = 0; q < dev->data->nb_tx_queues; q++) {
			auto *txq = static_cast<const tx_queue *>(dev->data->tx_queues[q]);
			if (txq != nullptr) {
				xs[i].value += txq->cnt.v[i] - txq->base.v[i];
			}
		}
	}
	xs[n_xstat_counters] = {n_xstat_counters, cable_held(priv(dev)->cbl, priv(dev)->end)};
	return total;
}

int xstats_get_names(rte_eth_dev *, rte_eth_xstat_name *names, unsigned size) {
	constexpr unsigned total = RTE_DIM(xstat_names);
	if (names == nullptr || size < total) {
		return total;
	}
	for (unsigned i = 0; i < total; i++) {
		rte_strlcpy(names[i].name, xstat_names[i], sizeof(names[i].name));
	}
	return total;
}

int infos_get(rte_eth_dev *, rte_eth_dev_info *info) {
	info->max_mac_addrs = 1;
	info->max_rx_pktlen = max_frame_len;
	info->min_mtu = RTE_ETHER_MIN_MTU;
	info->max_mtu = max_frame_len - RTE_ETHER_HDR_LEN;
	info->max_rx_queues = max_queues;
	info->max_tx_queues = max_queues;
	info->rx_offload_capa = RTE_ETH_RX_OFFLOAD_RSS_HASH;
	info->tx_offload_capa = RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	info->flow_type_rss_offloads = rss_hf_supported;
	info->hash_key_size = rss_key_len;
	info->reta_size = reta_size;
	info->speed_capa = RTE_ETH_LINK_SPEED_FIXED;
	return 0;
}

int rx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t, unsigned socket,
                   const rte_eth_rxconf *, rte_mempool *) {
	void *mem = rte_zmalloc_socket("net_wire_rxq", sizeof(rx_queue), RTE_CACHE_LINE_SIZE,
	                               static_cast<int>(socket));
	if (mem == nullptr) {
		NW_LOG(ERR, "%s: no memory for rx queue %u", dev_name(dev), qid);
		return -ENOMEM;
	}
	auto *q = new (mem) rx_queue();
	q->port = priv(dev);
	q->qid = qid;
	q->port_id = dev->data->port_id;
	dev->data->rx_queues[qid] = q;
	return 0;
}

int tx_queue_setup(rte_eth_dev *dev, uint16_t qid, uint16_t, unsigned socket,
                   const rte_eth_txconf *) {
	void *mem = rte_zmalloc_socket("net_wire_txq", sizeof(tx_queue), RTE_CACHE_LINE_SIZE,
	                               static_cast<int>(socket));
	if (mem == nullptr) {
		NW_LOG(ERR, "%s: no memory for tx queue %u", dev_name(dev), qid);
		return -ENOMEM;
	}
	auto *q = new (mem) tx_queue();
	q->port = priv(dev);
	q->qid = qid;
	q->rng = rng_seed(priv(dev)->imp.seed, qid);
	dev->data->tx_queues[qid] = q;
	return 0;
}

int rss_hash_update(rte_eth_dev *dev, rte_eth_rss_conf *conf) {
	port_private *pp = priv(dev);
	if (conf->rss_key != nullptr && conf->rss_key_len != rss_key_len) {
		NW_LOG(ERR, "%s: RSS key of %u bytes: net_wire takes %u", dev_name(dev),
		       conf->rss_key_len, rss_key_len);
		return -EINVAL;
	}
	rss_state rss = pp->cbl->ends[pp->end].rss; // only this port writes it
	if (conf->rss_key != nullptr) {
		set_key(rss, conf->rss_key);
	}
	set_hf(rss, dev, conf->rss_hf);
	cable_set_rss(pp->cbl, pp->end, rss);
	return 0;
}

int rss_hash_conf_get(rte_eth_dev *dev, rte_eth_rss_conf *conf) {
	port_private *pp = priv(dev);
	const rss_state &rss = pp->cbl->ends[pp->end].rss;
	if (conf->rss_key != nullptr) {
		if (conf->rss_key_len < rss_key_len) {
			return -EINVAL;
		}
		memcpy(conf->rss_key, rss.key, rss_key_len);
	}
	conf->rss_key_len = rss_key_len;
	conf->rss_hf = rss.hf;
	return 0;
}

int reta_update(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) {
	port_private *pp = priv(dev);
	if (size != reta_size) {
		NW_LOG(ERR, "%s: RETA of %u entries: net_wire has %u", dev_name(dev), size,
		       reta_size);
		return -EINVAL;
	}
	rss_state rss = pp->cbl->ends[pp->end].rss;
	for (uint16_t i = 0; i < size; i++) {
		const rte_eth_rss_reta_entry64 &group = conf[i / RTE_ETH_RETA_GROUP_SIZE];
		unsigned shift = i % RTE_ETH_RETA_GROUP_SIZE;
		if (!(group.mask & (1ull << shift))) {
			continue;
		}
		if (group.reta[shift] >= dev->data->nb_rx_queues) {
			NW_LOG(ERR, "%s: RETA entry %u names queue %u of %u", dev_name(dev), i,
			       group.reta[shift], dev->data->nb_rx_queues);
			return -EINVAL;
		}
		rss.reta[i] = group.reta[shift];
	}
	cable_set_rss(pp->cbl, pp->end, rss);
	return 0;
}

int reta_query(rte_eth_dev *dev, rte_eth_rss_reta_entry64 *conf, uint16_t size) {
	port_private *pp = priv(dev);
	if (size != reta_size) {
		return -EINVAL;
	}
	const rss_state &rss = pp->cbl->ends[pp->end].rss;
	for (uint16_t i = 0; i < size; i++) {
		rte_eth_rss_reta_entry64 &group = conf[i / RTE_ETH_RETA_GROUP_SIZE];
		unsigned shift = i % RTE_ETH_RETA_GROUP_SIZE;
		if (group.mask & (1ull << shift)) {
			group.reta[shift] = rss.reta[i];
		}
	}
	return 0;
}

const eth_dev_ops ops = {
    .dev_configure = dev_configure,
    .dev_start = dev_start,
    .dev_stop = dev_stop,
    .dev_set_link_up = dev_set_link_up,
    .dev_set_link_down = dev_set_link_down,
    .dev_close = dev_close,
    .link_update = link_update,
    .promiscuous_enable = no_op,
    .promiscuous_disable = no_op,
    .allmulticast_enable = no_op,
    .allmulticast_disable = no_op,
    .mac_addr_set = mac_addr_set,
    .mtu_set = mtu_set,
    .stats_get = stats_get,
    .stats_reset = stats_reset,
    .xstats_get = xstats_get,
    .xstats_reset = stats_reset,
    .xstats_get_names = xstats_get_names,
    .dev_infos_get = infos_get,
    .rx_queue_setup = rx_queue_setup,
    .rx_queue_release = rx_queue_release,
    .tx_queue_setup = tx_queue_setup,
    .tx_queue_release = tx_queue_release,
    .rss_hash_update = rss_hash_update,
    .rss_hash_conf_get = rss_hash_conf_get,
    .reta_update = reta_update,
    .reta_query = reta_query,
};

void set_entry_points(rte_eth_dev *dev) {
	dev->dev_ops = &ops;
	dev->rx_pkt_burst = rx_burst;
	dev->tx_pkt_burst = tx_burst;
}

/// A secondary process polls ports its primary created: all their state
/// is in shared memory, only the function pointers are per process.
int attach_secondary(rte_vdev_device *vdev, const char *name) {
	rte_eth_dev *dev = rte_eth_dev_attach_secondary(name);
	if (dev == nullptr) {
		NW_LOG(ERR, "%s: not found in the primary process: create it there first", name);
		return -ENODEV;
	}
	dev->device = &vdev->device;
	set_entry_points(dev);
	rte_eth_dev_probing_finish(dev);
	return 0;
}

int probe(rte_vdev_device *vdev) {
	const char *name = rte_vdev_device_name(vdev);
	if (rte_eal_process_type() == RTE_PROC_SECONDARY) {
		return attach_secondary(vdev, name);
	}
	const char *args = rte_vdev_device_args(vdev);
	auto parsed = parse_devargs(name, args);
	if (!parsed) {
		NW_LOG(ERR, "%s", parsed.err().message.c_str());
		return parsed.err().code;
	}
	impairments imp = parsed.value();
	if (!imp.seed_given) {
		imp.seed = rte_rand();
	}
	rte_eth_dev *dev = rte_eth_vdev_allocate(vdev, sizeof(port_private));
	if (dev == nullptr) {
		NW_LOG(ERR, "%s: cannot allocate an ethdev (too many ports? RTE_MAX_ETHPORTS)",
		       name);
		return -ENOMEM;
	}
	auto *pp = new (dev->data->dev_private) port_private();
	pp->imp = imp;
	pp->port_id = dev->data->port_id;
	auto attached = cable_attach(imp, pp->port_id, pp->end);
	if (!attached) {
		NW_LOG(ERR, "%s: %s", name, attached.err().message.c_str());
		rte_eth_dev_release_port(dev);
		return attached.err().code;
	}
	pp->cbl = attached.value();
	pp->mac = imp.mac;
	if (!imp.mac_given) {
		rte_eth_random_addr(pp->mac.addr_bytes); // locally administered, unicast
	}
	dev->data->mac_addrs = &pp->mac;
	dev->data->mtu = imp.mtu;
	dev->data->dev_link = cable_link(pp->cbl, pp->end, imp.rate_bps);
	dev->data->dev_flags |= RTE_ETH_DEV_AUTOFILL_QUEUE_XSTATS | RTE_ETH_DEV_INTR_LSC;
	set_entry_points(dev);
	rte_eth_dev_probing_finish(dev);
	NW_LOG(INFO, "%s: port %u is end %u of link %s (%s), seed %" PRIu64, name, pp->port_id,
	       pp->end, imp.link, args, imp.seed);
	return 0;
}

int remove(rte_vdev_device *vdev) {
	rte_eth_dev *dev = rte_eth_dev_allocated(rte_vdev_device_name(vdev));
	if (dev == nullptr) {
		return 0; // closed already: rte_eth_dev_close() released it
	}
	if (rte_eal_process_type() == RTE_PROC_PRIMARY) {
		dev_close(dev);
	}
	return rte_eth_dev_release_port(dev);
}

rte_vdev_driver driver = {
    .next = {},
    .driver = {},
    .probe = probe,
    .remove = remove,
    .dma_map = nullptr,
    .dma_unmap = nullptr,
    .drv_flags = 0,
};

} // namespace

bool is_net_wire(const rte_eth_dev *dev) {
	return dev->dev_ops == &ops;
}

RTE_PMD_REGISTER_VDEV(net_wire, driver);
RTE_PMD_REGISTER_PARAM_STRING(net_wire, NW_PARAM_STRING);

} // namespace skiff::net_wire

extern "C" int rte_pmd_net_wire_set_link(uint16_t port_id, int up) {
	using namespace skiff::net_wire;
	if (!rte_eth_dev_is_valid_port(port_id)) {
		return -ENODEV;
	}
	rte_eth_dev *dev = &rte_eth_devices[port_id];
	if (!is_net_wire(dev)) {
		return -ENOTSUP;
	}
	auto *pp = static_cast<port_private *>(dev->data->dev_private);
	if (pp->cbl == nullptr) {
		return -ENODEV;
	}
	cable_set_plugged(pp->cbl, up != 0);
	return 0;
}
