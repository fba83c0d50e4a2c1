#pragma once

// Pcap replay: read a capture (libpcap, any pcap or pcapng file with
// Ethernet link type) into frame templates, with the gaps between the
// capture's timestamps for --pcap-timing. Loaded once at startup; the send
// loop then treats the frames like any other template, verbatim.

#include "base/result.h"
#include "flows.h"

#include <string>
#include <vector>

namespace skiff::gen {

struct pcap_trace {
	std::vector<packet_template> frames;
	std::vector<double> gaps_s;     ///< after frame i, before frame i+1 (the last: 0)
	uint64_t skipped_truncated = 0; ///< frames captured shorter than they were
};

/**
 * Load @p path. Frames longer than @p max_frame bytes (without FCS) are an
 * error; frames captured with a snap length shorter than their length are
 * skipped and counted.
 * @return the trace, or an error naming the file and what is wrong.
 */
result<pcap_trace> load_pcap(const std::string &path, unsigned max_frame);

} // namespace skiff::gen
