// pcapng capture: write bursts, then read the file back block by block
// (and with tshark when it is installed).

#include "port/capture.h"
#include "ring_fixture.h"
#include "test_env.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iterator>
#include <memory>
#include <unistd.h>
#include <vector>

namespace skiff {
namespace {

constexpr uint32_t shb_type = 0x0a0d0d0a;
constexpr uint32_t idb_type = 1;
constexpr uint32_t isb_type = 5;
constexpr uint32_t epb_type = 6;

struct epb {
	uint32_t interface;
	uint64_t ts_ns; ///< the IDBs DPDK writes use nanosecond resolution
	uint32_t caplen;
	uint32_t origlen;
	std::vector<uint8_t> data;
	uint32_t direction; ///< epb_flags bits 0-1: 1 inbound, 2 outbound
};

struct pcapng_file {
	int sections = 0;
	int interfaces = 0;
	int stats = 0;
	std::vector<epb> packets;
	bool well_formed = true;
};

uint32_t u32(const std::vector<uint8_t> &b, size_t off) {
	uint32_t v;
	std::memcpy(&v, b.data() + off, 4);
	return v;
}

uint16_t u16(const std::vector<uint8_t> &b, size_t off) {
	uint16_t v;
	std::memcpy(&v, b.data() + off, 2);
	return v;
}

/// Enhanced packet block body: fixed part, padded data, then options.
epb parse_epb(const std::vector<uint8_t> &b, size_t off, size_t end) {
	epb e{};
	e.interface = u32(b, off + 8);
	e.ts_ns = uint64_t{u32(b, off + 12)} << 32 | u32(b, off + 16);
	e.caplen = u32(b, off + 20);
	e.origlen = u32(b, off + 24);
	size_t data = off + 28;
	e.data.assign(b.begin() + static_cast<long>(data),
	              b.begin() + static_cast<long>(data + e.caplen));
	size_t opt = data + ((e.caplen + 3) & ~3u);
	while (opt + 4 <= end) {
		uint16_t code = u16(b, opt), len = u16(b, opt + 2);
		if (code == 0) {
			break;
		}
		if (code == 2 && len == 4) {
			e.direction = u32(b, opt + 4) & 3;
		}
		opt += 4 + ((len + 3u) & ~3u);
	}
	return e;
}

/// Walk the blocks; every length is checked against the file before use.
pcapng_file parse_pcapng(const std::string &path) {
	std::ifstream in(path, std::ios::binary);
	std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)),
	                       std::istreambuf_iterator<char>());
	pcapng_file f;
	size_t off = 0;
	while (off + 12 <= b.size()) {
		uint32_t type = u32(b, off), len = u32(b, off + 4);
		if (len < 12 || len % 4 != 0 || off + len > b.size() ||
		    u32(b, off + len - 4) != len) {
			f.well_formed = false;
			return f;
		}
		if (off == 0 && type != shb_type) {
			f.well_formed = false;
			return f;
		}
		if (type == shb_type) {
			f.sections++;
		} else if (type == idb_type) {
			f.interfaces++;
		} else if (type == isb_type) {
			f.stats++;
		} else if (type == epb_type && len >= 32) {
			f.packets.push_back(parse_epb(b, off, off + len - 4));
		}
		off += len;
	}
	f.well_formed = f.well_formed && off == b.size();
	return f;
}

uint64_t wall_ns() {
	timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

std::string temp_path() {
	std::string tmpl = testing::TempDir() + "skiff-capture-XXXXXX";
	int fd = mkstemp(tmpl.data());
	if (fd >= 0) {
		close(fd);
	}
	return tmpl;
}

/// Frames tshark reads from @p path, or -1 when tshark is not installed.
int tshark_frames(const std::string &path) {
	if (access("/usr/bin/tshark", X_OK) != 0) {
		return -1;
	}
	std::string cmd = "/usr/bin/tshark -r '" + path + "' -T fields -e frame.len 2>/dev/null";
	FILE *p = popen(cmd.c_str(), "r");
	if (p == nullptr) {
		return -1;
	}
	int lines = 0;
	char buf[256];
	while (std::fgets(buf, sizeof(buf), p) != nullptr) {
		lines++;
	}
	return pclose(p) == 0 ? lines : -2;
}

TEST(capture, writes_a_readable_pcapng_file) {
	test::ring_loopback ring("cap_a", 1);
	ASSERT_TRUE(ring.ok());
	std::string path = temp_path();
	uint64_t before = wall_ns();
	auto cap = pcap_capture::open(path, test::pool());
	ASSERT_TRUE(cap.ok()) << cap.err().message;

	auto in = test::make_packets(3, 60);
	auto out = test::make_packets(2, 61);
	cap->record(ring.id(), 0, in.data(), 3, false);
	cap->record(ring.id(), 0, out.data(), 2, true);
	EXPECT_EQ(cap->written(), 5u);
	EXPECT_EQ(cap->dropped(), 0u);
	// The caller still owns its packets.
	EXPECT_EQ(rte_pktmbuf_pkt_len(in[0]), 60u);
	test::free_packets(in);
	test::free_packets(out);
	cap->close();
	uint64_t after = wall_ns();

	pcapng_file f = parse_pcapng(path);
	ASSERT_TRUE(f.well_formed);
	EXPECT_EQ(f.sections, 1);
	EXPECT_GE(f.interfaces, 1);
	EXPECT_GE(f.stats, 1);
	ASSERT_EQ(f.packets.size(), 5u);
	for (size_t k = 0; k < 5; k++) {
		const epb &e = f.packets[k];
		bool inbound = k < 3;
		unsigned idx = inbound ? k : k - 3;
		EXPECT_LT(e.interface, static_cast<uint32_t>(f.interfaces));
		EXPECT_EQ(e.caplen, inbound ? 60u : 61u);
		EXPECT_EQ(e.origlen, e.caplen);
		EXPECT_EQ(e.direction, inbound ? 1u : 2u);
		EXPECT_GE(e.ts_ns + 1000000, before) << "packet " << k;
		EXPECT_LE(e.ts_ns, after + 1000000) << "packet " << k;
		for (size_t i = 0; i < e.data.size(); i++) {
			ASSERT_EQ(e.data[i], static_cast<uint8_t>(idx + i)) << "packet " << k;
		}
	}

	int frames = tshark_frames(path);
	if (frames == -1) {
		std::printf("tshark not installed: checked the pcapng blocks only\n");
	} else {
		EXPECT_EQ(frames, 5) << "tshark could not read " << path;
	}
	std::remove(path.c_str());
}

TEST(capture, packets_point_at_their_port_interface_when_port_ids_have_gaps) {
	auto first = std::make_unique<test::ring_loopback>("cap_g0", 1);
	test::ring_loopback second("cap_g1", 1);
	ASSERT_TRUE(first->ok() && second.ok());
	first.reset(); // leaves a hole below second's port id
	ASSERT_GT(second.id(), 0);
	std::string path = temp_path();
	auto cap = pcap_capture::open(path, test::pool());
	ASSERT_TRUE(cap.ok()) << cap.err().message;
	auto pkts = test::make_packets(2, 60);
	cap->record(second.id(), 0, pkts.data(), 2, false);
	test::free_packets(pkts);
	cap->close();
	pcapng_file f = parse_pcapng(path);
	ASSERT_TRUE(f.well_formed);
	ASSERT_EQ(f.packets.size(), 2u);
	for (const epb &e : f.packets) {
		EXPECT_LT(e.interface, static_cast<uint32_t>(f.interfaces));
	}
	int frames = tshark_frames(path);
	if (frames != -1) {
		EXPECT_EQ(frames, 2);
	}
	std::remove(path.c_str());
}

TEST(capture, snaplen_truncates) {
	test::ring_loopback ring("cap_s", 1);
	ASSERT_TRUE(ring.ok());
	std::string path = temp_path();
	auto cap = pcap_capture::open(path, test::pool(), 16);
	ASSERT_TRUE(cap.ok()) << cap.err().message;
	auto pkts = test::make_packets(1, 200);
	cap->record(ring.id(), 0, pkts.data(), 1, false);
	test::free_packets(pkts);
	cap->close();
	pcapng_file f = parse_pcapng(path);
	ASSERT_TRUE(f.well_formed);
	ASSERT_EQ(f.packets.size(), 1u);
	EXPECT_EQ(f.packets[0].caplen, 16u);
	EXPECT_EQ(f.packets[0].origlen, 200u);
	std::remove(path.c_str());
}

TEST(capture, copy_failures_and_unknown_ports_are_counted) {
	test::ring_loopback ring("cap_d", 1);
	ASSERT_TRUE(ring.ok());
	// Four copy mbufs for a burst of ten: six copies must fail.
	rte_mempool *tiny =
	    rte_pktmbuf_pool_create("cap_tiny", 4, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ASSERT_NE(tiny, nullptr);
	std::string path = temp_path();
	auto cap = pcap_capture::open(path, tiny);
	ASSERT_TRUE(cap.ok()) << cap.err().message;

	auto pkts = test::make_packets(10, 60);
	cap->record(ring.id(), 0, pkts.data(), 10, true);
	EXPECT_EQ(cap->written(), 4u);
	EXPECT_EQ(cap->dropped(), 6u);

	// A port created after the file has no interface block: dropped.
	test::ring_loopback later("cap_l", 1);
	ASSERT_TRUE(later.ok());
	cap->record(later.id(), 0, pkts.data(), 2, false);
	cap->record(RTE_MAX_ETHPORTS, 0, pkts.data(), 1, false);
	EXPECT_EQ(cap->dropped(), 9u);
	test::free_packets(pkts);
	cap->close();
	EXPECT_EQ(rte_mempool_avail_count(tiny), 4u); // every copy freed
	rte_mempool_free(tiny);

	pcapng_file f = parse_pcapng(path);
	ASSERT_TRUE(f.well_formed);
	EXPECT_EQ(f.packets.size(), 4u);
	std::remove(path.c_str());
}

TEST(capture, unwritable_path_is_one_clear_error) {
	auto cap = pcap_capture::open("/nonexistent-dir/x.pcapng", test::pool());
	ASSERT_FALSE(cap.ok());
	EXPECT_NE(cap.err().message.find("pick a writable path"), std::string::npos)
	    << cap.err().message;
}

TEST(capture, missing_pool_is_an_error) {
	auto cap = pcap_capture::open("unused.pcapng", nullptr);
	ASSERT_FALSE(cap.ok());
	EXPECT_NE(cap.err().message.find("no mbuf pool"), std::string::npos);
}

} // namespace
} // namespace skiff
