#include "tcp/counters.h"

#include "tcp/tcp_info.h"

namespace skiff::tcp {

namespace {

constexpr const char *drop_names[] = {
#define SKIFF_X(name, text) #name,
    SKIFF_TCP_DROP_REASONS(SKIFF_X)
#undef SKIFF_X
};

constexpr const char *drop_texts[] = {
#define SKIFF_X(name, text) text,
    SKIFF_TCP_DROP_REASONS(SKIFF_X)
#undef SKIFF_X
};

constexpr const char *event_names[] = {
#define SKIFF_X(name, text) #name,
    SKIFF_TCP_EVENTS(SKIFF_X)
#undef SKIFF_X
};

constexpr const char *state_names[] = {
    "CLOSED",     "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1",
    "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT",
};

} // namespace

const char *tcp_drop_name(tcp_drop r) {
	auto i = static_cast<size_t>(r);
	return i < n_tcp_drops ? drop_names[i] : "?";
}

const char *tcp_drop_description(tcp_drop r) {
	auto i = static_cast<size_t>(r);
	return i < n_tcp_drops ? drop_texts[i] : "?";
}

const char *tcp_event_name(tcp_event e) {
	auto i = static_cast<size_t>(e);
	return i < n_tcp_events ? event_names[i] : "?";
}

const char *state_name(tcp_state s) {
	auto i = static_cast<size_t>(s);
	return i < std::size(state_names) ? state_names[i] : "?";
}

} // namespace skiff::tcp
