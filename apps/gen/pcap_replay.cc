#include "pcap_replay.h"

#include <pcap/pcap.h>

#include <memory>

namespace skiff::gen {

result<pcap_trace> load_pcap(const std::string &path, unsigned max_frame) {
	char errbuf[PCAP_ERRBUF_SIZE] = {};
	std::unique_ptr<pcap_t, void (*)(pcap_t *)> pc(
	    pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_NANO,
	                                            errbuf),
	    pcap_close);
	if (!pc) {
		return make_error(-ENOENT, "cannot read --pcap-replay " + path + ": " + errbuf);
	}
	if (pcap_datalink(pc.get()) != DLT_EN10MB) {
		return make_error(-EINVAL,
		                  "--pcap-replay " + path +
		                      ": only Ethernet captures can be replayed (link type " +
		                      pcap_datalink_val_to_name(pcap_datalink(pc.get())) + ")");
	}
	pcap_trace tr;
	pcap_pkthdr *h = nullptr;
	const u_char *data = nullptr;
	double prev = -1;
	int rc;
	while ((rc = pcap_next_ex(pc.get(), &h, &data)) == 1) {
		if (h->caplen < h->len || h->caplen < 14) {
			tr.skipped_truncated++;
			continue;
		}
		if (h->caplen > max_frame) {
			return make_error(-EINVAL, "--pcap-replay " + path + ": frame " +
			                               std::to_string(tr.frames.size() + 1) +
			                               " has " + std::to_string(h->caplen) +
			                               " bytes, more than the port's MTU allows (" +
			                               std::to_string(max_frame) +
			                               "); raise the MTU");
		}
		double ts = double(h->ts.tv_sec) + double(h->ts.tv_usec) * 1e-9;
		if (prev >= 0) {
			tr.gaps_s.push_back(ts > prev ? ts - prev : 0.0);
		}
		prev = ts;
		tr.frames.push_back(raw_template({data, h->caplen}));
		if (tr.frames.back().wire_len < min_frame) {
			tr.frames.back().wire_len = min_frame; // the NIC pads short frames
		}
	}
	if (rc == PCAP_ERROR) {
		return make_error(-EIO, "--pcap-replay " + path + ": " + pcap_geterr(pc.get()));
	}
	if (tr.frames.empty()) {
		return make_error(-EINVAL, "--pcap-replay " + path + " holds no complete frame");
	}
	tr.gaps_s.push_back(0);
	return tr;
}

} // namespace skiff::gen
