// rte_devargs_reset() is still experimental in DPDK 22.11; we need it to free
// what rte_devargs_parse() allocates when we check a device name up front.
#define ALLOW_EXPERIMENTAL_API 1

#include "port/port.h"

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_ethdev.h>
#include <rte_log.h>
#include <rte_pci.h>
#include <spdlog/spdlog.h>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>
#include <utility>

namespace skiff {

namespace {

constexpr const char *known_vdevs =
    "net_tap, net_af_packet, net_ring, net_null, net_pcap, net_memif";
constexpr const char *unprivileged_vdevs = "net_ring/net_null/net_pcap which need no privileges";

// hash_key_size is a uint8_t, so no device wants a longer key.
constexpr size_t max_rss_key_len = 255;

constexpr std::array<uint8_t, max_rss_key_len> make_symmetric_key() {
	std::array<uint8_t, max_rss_key_len> key{};
	for (size_t i = 0; i < key.size(); i++) {
		key[i] = (i % 2 == 0) ? 0x6d : 0x5a;
	}
	return key;
}

constexpr std::array<uint8_t, max_rss_key_len> symmetric_key = make_symmetric_key();

struct devargs_parts {
	std::string name; ///< device name, before the first comma
	std::string args; ///< driver arguments, after it
};

devargs_parts split_devargs(const std::string &devargs) {
	size_t comma = devargs.find(',');
	if (comma == std::string::npos) {
		return {devargs, {}};
	}
	return {devargs.substr(0, comma), devargs.substr(comma + 1)};
}

/// Virtual devices are named after their driver plus an instance number.
std::string driver_of(const std::string &name) {
	size_t end = name.size();
	while (end > 0 && std::isdigit(static_cast<unsigned char>(name[end - 1]))) {
		end--;
	}
	return name.substr(0, end);
}

/// The canonical PCI name ("0000:01:00.0") if @p name is a PCI address.
std::optional<std::string> pci_name(const std::string &name) {
	rte_pci_addr addr;
	if (rte_pci_addr_parse(name.c_str(), &addr) != 0) {
		return std::nullopt;
	}
	char buf[PCI_PRI_STR_SIZE];
	rte_pci_device_name(&addr, buf, sizeof(buf));
	return std::string(buf);
}

bool has_capability(int cap) {
	__user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
	__user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
	if (syscall(SYS_capget, &hdr, data) != 0) {
		return geteuid() == 0;
	}
	return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

/// An existing ethdev named @p name, or the first port of device @p name.
std::optional<uint16_t> find_port(const std::string &name) {
	std::string canon = pci_name(name).value_or(name);
	uint16_t id;
	if (rte_eth_dev_get_port_by_name(canon.c_str(), &id) == 0) {
		return id;
	}
	RTE_ETH_FOREACH_DEV(id) {
		rte_eth_dev_info di;
		if (rte_eth_dev_info_get(id, &di) == 0 && di.device != nullptr &&
		    canon == rte_dev_name(di.device)) {
			return id;
		}
	}
	return std::nullopt;
}

/// Refuse early what the driver would refuse with a page of log lines.
result<void> check_driver_needs(const devargs_parts &d) {
	std::string drv = driver_of(d.name);
	if (drv == "net_tap" || drv == "net_tun") {
		if (access("/dev/net/tun", R_OK | W_OK) != 0 || !has_capability(CAP_NET_ADMIN)) {
			return make_error(-EPERM,
			                  drv +
			                      " needs /dev/net/tun and CAP_NET_ADMIN: run as "
			                      "root, or use " +
			                      unprivileged_vdevs);
		}
	}
	if (drv == "net_af_packet") {
		if (d.args.find("iface=") == std::string::npos) {
			return make_error(-EINVAL,
			                  "net_af_packet needs a kernel interface: --port " +
			                      d.name + ",iface=eth0");
		}
		if (!has_capability(CAP_NET_RAW)) {
			return make_error(-EPERM,
			                  std::string("net_af_packet needs CAP_NET_RAW: run as "
			                              "root, or use ") +
			                      unprivileged_vdevs);
		}
	}
	return {};
}

error unknown_device(const devargs_parts &d) {
	if (auto pci = pci_name(d.name)) {
		return make_error(-ENODEV, "unknown device '" + d.name +
		                               "': no DPDK-usable PCI device there; bind it with "
		                               "dpdk-devbind.py --bind=vfio-pci " +
		                               *pci);
	}
	return make_error(-ENODEV, "unknown device '" + d.name + "': no DPDK driver named " +
	                               driver_of(d.name) +
	                               "; known virtual drivers: " + known_vdevs);
}

/// Does any bus (vdev, pci, ...) claim this device name? Asked with EAL
/// logging muted: the one line we return says more than DPDK's.
bool bus_accepts(const std::string &devargs) {
	rte_devargs da;
	std::memset(&da, 0, sizeof(da));
	int level = rte_log_get_level(RTE_LOGTYPE_EAL);
	rte_log_set_level(RTE_LOGTYPE_EAL, RTE_LOG_EMERG);
	int rc = rte_devargs_parse(&da, devargs.c_str());
	rte_log_set_level(RTE_LOGTYPE_EAL, static_cast<uint32_t>(level));
	rte_devargs_reset(&da);
	return rc == 0;
}

error probe_failed(const devargs_parts &d, int rc) {
	if (rc == -ENODEV && pci_name(d.name)) {
		return unknown_device(d);
	}
	std::string why = std::strerror(-rc);
	if (!d.args.empty()) {
		return make_error(
		    rc, "device '" + d.name + "' refused arguments '" + d.args + "' (" + why +
		            "): check names and values in the DPDK guide for " + driver_of(d.name));
	}
	return make_error(rc, "device '" + d.name + "' failed to probe (" + why +
	                          "): see the DPDK log lines above");
}

struct located {
	uint16_t id;
	rte_device *probed; ///< non-null when we probed it
};

/// Find the ethdev for cfg.devargs, probing the device if it is new.
result<located> locate(const port_config &cfg) {
	devargs_parts d = split_devargs(cfg.devargs);
	if (auto id = find_port(d.name)) {
		if (!d.args.empty()) {
			spdlog::warn("port {}: device already exists, ignoring arguments '{}'",
			             d.name, d.args);
		}
		return located{*id, nullptr};
	}
	if (auto r = check_driver_needs(d); !r) {
		return r.err();
	}
	if (!bus_accepts(cfg.devargs)) {
		return unknown_device(d);
	}
	int rc = rte_dev_probe(cfg.devargs.c_str());
	if (rc < 0) {
		return probe_failed(d, rc);
	}
	auto id = find_port(d.name);
	if (!id) {
		return make_error(-ENODEV,
		                  "device '" + d.name +
		                      "' is not an Ethernet port (no ethdev after probing); "
		                      "pass a network device");
	}
	rte_eth_dev_info di;
	if (rte_eth_dev_info_get(*id, &di) != 0) {
		return make_error(-ENODEV, "device '" + d.name + "' vanished after probing");
	}
	return located{*id, di.device};
}

std::string plural(uint32_t n, const char *word) {
	return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

result<void> check_limits(const std::string &name, const rte_eth_dev_info &di,
                          const port_config &cfg) {
	uint16_t max_q = std::min(di.max_rx_queues, di.max_tx_queues);
	if (cfg.n_queues > max_q) {
		return make_error(-EINVAL, "device '" + name + "' supports at most " +
		                               plural(max_q, "queue") + "; use fewer --lcores (" +
		                               std::to_string(cfg.n_queues) + " requested)");
	}
	if (cfg.mtu != 0 && (cfg.mtu < di.min_mtu || cfg.mtu > di.max_mtu)) {
		return make_error(
		    -EINVAL, "device '" + name + "' supports MTU " + std::to_string(di.min_mtu) +
		                 ".." + std::to_string(di.max_mtu) + "; pick --mtu in that range");
	}
	return {};
}

/// Enable each checksum offload the device has; software does the rest.
void choose_offloads(const rte_eth_dev_info &di, rte_eth_conf &conf, wire::offload_caps &caps) {
	const uint64_t rx_want = RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM |
	                         RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_RSS_HASH;
	const uint64_t tx_want = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM |
	                         RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
	uint64_t rx = di.rx_offload_capa & rx_want;
	uint64_t tx = di.tx_offload_capa & tx_want;

	// RSS_HASH only means something with RSS on; choose_rss() decides.
	conf.rxmode.offloads = rx & ~RTE_ETH_RX_OFFLOAD_RSS_HASH;
	conf.txmode.offloads = tx;
	caps.rx.ipv4_cksum = (rx & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM) != 0;
	caps.rx.l4_cksum =
	    (rx & RTE_ETH_RX_OFFLOAD_UDP_CKSUM) != 0 && (rx & RTE_ETH_RX_OFFLOAD_TCP_CKSUM) != 0;
	caps.tx.ipv4_cksum = (tx & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM) != 0;
	caps.tx.udp_cksum = (tx & RTE_ETH_TX_OFFLOAD_UDP_CKSUM) != 0;
	caps.tx.tcp_cksum = (tx & RTE_ETH_TX_OFFLOAD_TCP_CKSUM) != 0;
}

/// RSS with the symmetric key on whatever IP/TCP/UDP fields the device
/// hashes. Even with one queue it is harmless and gives mbuf->hash.rss.
void choose_rss(const rte_eth_dev_info &di, rte_eth_conf &conf, port_info &info,
                std::array<uint8_t, max_rss_key_len> &key) {
	uint64_t hf =
	    (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & di.flow_type_rss_offloads;
	if (hf == 0) {
		return;
	}
	size_t len = di.hash_key_size != 0 ? di.hash_key_size : default_rss_key_len;
	key = symmetric_key;
	conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
	conf.rx_adv_conf.rss_conf.rss_key = key.data();
	conf.rx_adv_conf.rss_conf.rss_key_len = static_cast<uint8_t>(len);
	conf.rx_adv_conf.rss_conf.rss_hf = hf;
	if (di.rx_offload_capa & RTE_ETH_RX_OFFLOAD_RSS_HASH) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_RSS_HASH;
		info.rss_hash_in_mbuf = true;
	}
	info.rss = true;
	info.rss_hf = hf;
	info.rss_key_len = len;
}

/// Some PMDs (net_null among them) ignore the key passed at configure
/// time. Read it back and push it again if it differs: flows split
/// between queues when the key is not symmetric.
void verify_rss_key(uint16_t id, const std::string &label, port_info &info) {
	std::array<uint8_t, max_rss_key_len> got{};
	rte_eth_rss_conf conf;
	std::memset(&conf, 0, sizeof(conf));
	conf.rss_key = got.data();
	conf.rss_key_len = static_cast<uint8_t>(info.rss_key_len);
	if (rte_eth_dev_rss_hash_conf_get(id, &conf) != 0) {
		return; // cannot read it back; trust configure
	}
	auto want = symmetric_rss_key(info.rss_key_len);
	if (std::equal(want.begin(), want.end(), got.begin())) {
		return;
	}
	std::array<uint8_t, max_rss_key_len> key = symmetric_key;
	conf.rss_key = key.data();
	conf.rss_key_len = static_cast<uint8_t>(info.rss_key_len);
	conf.rss_hf = info.rss_hf;
	int rc = rte_eth_dev_rss_hash_update(id, &conf);
	if (rc != 0) {
		spdlog::warn("{}: device kept its own RSS key ({}): the two directions of a flow "
		             "may reach different queues",
		             label, std::strerror(-rc));
	}
}

std::string offload_list(const wire::offload_caps &c) {
	std::string rx, tx;
	rx += c.rx.ipv4_cksum ? " ipv4-cksum" : "";
	rx += c.rx.l4_cksum ? " l4-cksum" : "";
	tx += c.tx.ipv4_cksum ? " ipv4-cksum" : "";
	tx += c.tx.udp_cksum ? " udp-cksum" : "";
	tx += c.tx.tcp_cksum ? " tcp-cksum" : "";
	return "rx [" + (rx.empty() ? std::string(" none") : rx) + " ] tx [" +
	       (tx.empty() ? std::string(" none") : tx) + " ]";
}

std::string rss_description(const port_info &info) {
	if (!info.rss) {
		return "off";
	}
	std::string s;
	s += (info.rss_hf & RTE_ETH_RSS_IP) ? "ip " : "";
	s += (info.rss_hf & RTE_ETH_RSS_TCP) ? "tcp " : "";
	s += (info.rss_hf & RTE_ETH_RSS_UDP) ? "udp " : "";
	return s + "symmetric key " + std::to_string(info.rss_key_len) + "B";
}

std::string format_mac(const rte_ether_addr &mac) {
	char buf[RTE_ETHER_ADDR_FMT_SIZE];
	rte_ether_format_addr(buf, sizeof(buf), &mac);
	return buf;
}

} // namespace

std::span<const uint8_t> symmetric_rss_key(size_t len) {
	return {symmetric_key.data(), std::min(len, symmetric_key.size())};
}

std::string format_link(const link_state &link) {
	if (!link.up) {
		return "down";
	}
	std::string s = "up ";
	if (link.speed_mbps == 0) {
		s += "speed unknown";
	} else if (link.speed_mbps >= 1000 && link.speed_mbps % 1000 == 0) {
		s += std::to_string(link.speed_mbps / 1000) + " Gbps";
	} else {
		s += std::to_string(link.speed_mbps) + " Mbps";
	}
	return s + (link.full_duplex ? " full-duplex" : " half-duplex");
}

result<port> port::open(const port_config &cfg) {
	if (cfg.devargs.empty()) {
		return make_error(-EINVAL, "no port given: pass --port DEVARGS, e.g. "
		                           "net_tap0,iface=sk0, net_ring0 or a PCI address");
	}
	if (cfg.pool == nullptr) {
		return make_error(-EINVAL,
		                  "port '" + cfg.devargs +
		                      "': no mbuf pool; create the pool before opening ports");
	}
	if (cfg.n_queues == 0) {
		return make_error(-EINVAL,
		                  "port '" + cfg.devargs +
		                      "': needs at least one queue (one per worker lcore)");
	}
	auto loc = locate(cfg);
	if (!loc) {
		return loc.err();
	}
	// From here on p owns the device: an early return stops or removes it.
	port p;
	p._info.id = loc->id;
	p._probed = loc->probed;
	p._open = true;
	if (auto r = p.bring_up(cfg); !r) {
		return r.err();
	}
	return p;
}

result<void> port::bring_up(const port_config &cfg) {
	char name[RTE_ETH_NAME_MAX_LEN];
	rte_eth_dev_info di;
	if (rte_eth_dev_get_name_by_port(_info.id, name) != 0 ||
	    rte_eth_dev_info_get(_info.id, &di) != 0) {
		return make_error(-ENODEV,
		                  "port " + std::to_string(_info.id) + " vanished during set-up");
	}
	_info.name = name;
	_info.driver = di.driver_name != nullptr ? di.driver_name : "unknown";
	if (auto r = check_limits(_info.name, di, cfg); !r) {
		return r;
	}
	if (auto r = configure(cfg, di); !r) {
		return r;
	}
	if (auto r = setup_queues(cfg); !r) {
		return r;
	}
	if (auto r = start(cfg); !r) {
		return r;
	}
	spdlog::info("{} ({}): {}, {}/{} descriptors, mtu {}, mac {}, rss {}", label(),
	             _info.driver, plural(_info.n_queues, "queue"), _info.rx_desc, _info.tx_desc,
	             _info.mtu, format_mac(_info.mac), rss_description(_info));
	spdlog::info("{}: offloads {}", label(), offload_list(_info.offloads));
	spdlog::info("{}: link {}", label(), format_link(link()));
	return {};
}

result<void> port::configure(const port_config &cfg, const rte_eth_dev_info &di) {
	rte_eth_conf conf;
	std::memset(&conf, 0, sizeof(conf));
	std::array<uint8_t, max_rss_key_len> key; // must outlive rte_eth_dev_configure()
	conf.rxmode.mtu = cfg.mtu;
	choose_offloads(di, conf, _info.offloads);
	choose_rss(di, conf, _info, key);
	int rc = rte_eth_dev_configure(_info.id, cfg.n_queues, cfg.n_queues, &conf);
	if (rc == -EBUSY) {
		return make_error(rc,
		                  label() + " is already started elsewhere; open each port once");
	}
	if (rc < 0) {
		return make_error(rc, label() + ": configure failed (" + std::strerror(-rc) +
		                          "); see the DPDK log lines above");
	}
	return {};
}

result<void> port::setup_queues(const port_config &cfg) {
	const uint16_t id = _info.id;
	_info.rx_desc = cfg.rx_desc;
	_info.tx_desc = cfg.tx_desc;
	int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id, &_info.rx_desc, &_info.tx_desc);
	if (rc < 0) {
		return make_error(rc, label() + ": descriptor counts rejected (" +
		                          std::strerror(-rc) + ")");
	}
	int socket = rte_eth_dev_socket_id(id);
	for (uint16_t q = 0; q < cfg.n_queues; q++) {
		rc = rte_eth_rx_queue_setup(id, q, _info.rx_desc, socket, nullptr, cfg.pool);
		if (rc < 0) {
			return make_error(rc, label() + ": RX queue " + std::to_string(q) +
			                          " set-up failed (" + std::strerror(-rc) +
			                          "); do the pool's mbufs hold a full-MTU frame?");
		}
		rc = rte_eth_tx_queue_setup(id, q, _info.tx_desc, socket, nullptr);
		if (rc < 0) {
			return make_error(rc, label() + ": TX queue " + std::to_string(q) +
			                          " set-up failed (" + std::strerror(-rc) + ")");
		}
	}
	_info.n_queues = cfg.n_queues;
	return {};
}

result<void> port::start(const port_config &cfg) {
	const uint16_t id = _info.id;
	int rc = rte_eth_dev_start(id);
	if (rc < 0) {
		return make_error(rc, label() + ": start failed (" + std::strerror(-rc) +
		                          "); the mbuf pool needs at least " +
		                          std::to_string(cfg.n_queues * _info.rx_desc) +
		                          " free mbufs to fill the RX rings");
	}
	_started = true;
	if (_info.rss) {
		verify_rss_key(id, label(), _info);
	}
	if (cfg.promiscuous) {
		rc = rte_eth_promiscuous_enable(id);
		if (rc < 0 && rc != -ENOTSUP) {
			spdlog::warn("{}: promiscuous mode failed: {}", label(),
			             std::strerror(-rc));
		}
	}
	rte_eth_macaddr_get(id, &_info.mac);
	rte_eth_dev_get_mtu(id, &_info.mtu);
	return {};
}

std::string port::label() const {
	return "port " + std::to_string(_info.id) + " (" + _info.name + ")";
}

port::port(port &&other) noexcept
    : _info(std::move(other._info)), _probed(std::exchange(other._probed, nullptr)),
      _open(std::exchange(other._open, false)), _started(std::exchange(other._started, false)) {}

port &port::operator=(port &&other) noexcept {
	if (this != &other) {
		close();
		_info = std::move(other._info);
		_probed = std::exchange(other._probed, nullptr);
		_open = std::exchange(other._open, false);
		_started = std::exchange(other._started, false);
	}
	return *this;
}

port::~port() {
	close();
}

void port::close() {
	if (!_open) {
		return;
	}
	const uint16_t id = _info.id;
	if (_started) {
		int rc = rte_eth_dev_stop(id);
		if (rc < 0) {
			spdlog::warn("{}: stop failed: {}", label(), std::strerror(-rc));
		}
	}
	if (_probed != nullptr) {
		int rc = rte_eth_dev_close(id);
		if (rc < 0) {
			spdlog::warn("{}: close failed: {}", label(), std::strerror(-rc));
		}
		rc = rte_dev_remove(_probed);
		if (rc < 0) {
			spdlog::warn("{}: removing the device failed: {}", label(),
			             std::strerror(-rc));
		}
	}
	_probed = nullptr;
	_open = false;
	_started = false;
}

link_state port::link() const {
	rte_eth_link l;
	std::memset(&l, 0, sizeof(l));
	if (!_open || rte_eth_link_get_nowait(_info.id, &l) != 0) {
		return {};
	}
	link_state s;
	s.up = l.link_status == RTE_ETH_LINK_UP;
	if (s.up && l.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN) {
		s.speed_mbps = l.link_speed;
	}
	s.full_duplex = l.link_duplex == RTE_ETH_LINK_FULL_DUPLEX;
	return s;
}

result<void> port::set_mtu(uint16_t mtu) {
	if (!_open) {
		return make_error(-ENODEV, "set_mtu on a closed port");
	}
	int rc = rte_eth_dev_set_mtu(_info.id, mtu);
	if (rc == -ENOTSUP) {
		return make_error(rc,
		                  label() + ": the " + _info.driver +
		                      " driver cannot change the MTU while running; set --mtu at "
		                      "start-up instead");
	}
	if (rc == -EBUSY) {
		return make_error(rc,
		                  label() + ": the " + _info.driver +
		                      " driver changes the MTU only while stopped; set --mtu at "
		                      "start-up instead");
	}
	if (rc == -EINVAL) {
		rte_eth_dev_info di;
		if (rte_eth_dev_info_get(_info.id, &di) == 0) {
			return make_error(rc, label() + ": MTU " + std::to_string(mtu) +
			                          " out of range " + std::to_string(di.min_mtu) +
			                          ".." + std::to_string(di.max_mtu));
		}
	}
	if (rc < 0) {
		return make_error(rc, label() + ": setting MTU " + std::to_string(mtu) +
		                          " failed (" + std::strerror(-rc) + ")");
	}
	rte_eth_dev_get_mtu(_info.id, &_info.mtu);
	spdlog::info("{}: mtu {}", label(), _info.mtu);
	return {};
}

port_counters port::counters() const {
	port_counters c;
	rte_eth_stats s;
	if (!_open || rte_eth_stats_get(_info.id, &s) != 0) {
		return c;
	}
	c.rx_packets = s.ipackets;
	c.rx_bytes = s.ibytes;
	c.tx_packets = s.opackets;
	c.tx_bytes = s.obytes;
	c.rx_missed = s.imissed;
	c.rx_errors = s.ierrors;
	c.tx_errors = s.oerrors;
	c.rx_nombuf = s.rx_nombuf;
	c.n_queues = std::min<uint16_t>(_info.n_queues, RTE_ETHDEV_QUEUE_STAT_CNTRS);
	for (uint16_t q = 0; q < c.n_queues; q++) {
		c.rx_queue_packets[q] = s.q_ipackets[q];
		c.rx_queue_bytes[q] = s.q_ibytes[q];
		c.tx_queue_packets[q] = s.q_opackets[q];
		c.tx_queue_bytes[q] = s.q_obytes[q];
	}
	return c;
}

result<std::vector<xstat>> port::xstats() const {
	if (!_open) {
		return make_error(-ENODEV, "xstats on a closed port");
	}
	int n = rte_eth_xstats_get_names(_info.id, nullptr, 0);
	if (n < 0) {
		return make_error(n, label() + ": cannot list extended statistics (" +
		                         std::strerror(-n) + ")");
	}
	std::vector<rte_eth_xstat_name> names(static_cast<size_t>(n));
	std::vector<rte_eth_xstat> values(static_cast<size_t>(n));
	int got_names = rte_eth_xstats_get_names(_info.id, names.data(), n);
	int got = rte_eth_xstats_get(_info.id, values.data(), n);
	if (got_names != n || got != n) {
		return make_error(-EAGAIN, label() + ": extended statistics changed while reading; "
		                                     "retry");
	}
	std::vector<xstat> out;
	out.reserve(values.size());
	for (const rte_eth_xstat &v : values) {
		if (v.id < names.size()) {
			out.push_back({names[v.id].name, v.value});
		}
	}
	return out;
}

result<void> port::reset_counters() {
	if (!_open) {
		return make_error(-ENODEV, "reset_counters on a closed port");
	}
	int rc = rte_eth_xstats_reset(_info.id);
	if (rc < 0) {
		return make_error(rc, label() + ": resetting counters failed (" +
		                          std::strerror(-rc) + ")");
	}
	return {};
}

} // namespace skiff
