#include "env/log.h"

#include <rte_log.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace skiff {

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
	using namespace spdlog::level;
	struct entry {
		std::string_view name;
		level_enum level;
	};
	static constexpr entry table[] = {
	    {"trace", trace}, {"debug", debug},       {"info", info},
	    {"warn", warn},   {"warning", warn},      {"error", err},
	    {"err", err},     {"critical", critical}, {"off", off},
	};
	for (const auto &e : table) {
		if (e.name == name) {
			return e.level;
		}
	}
	return std::nullopt;
}

void init_logging(std::string_view level) {
	auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
	auto logger = std::make_shared<spdlog::logger>("skiff", std::move(sink));
	logger->set_pattern("[%H:%M:%S.%e] [%^%l%$] %v");
	logger->set_level(parse_level(level).value_or(spdlog::level::info));
	spdlog::set_default_logger(std::move(logger));
}

unsigned eal_log_level(spdlog::level::level_enum level) {
	switch (level) {
	case spdlog::level::trace:
		return RTE_LOG_DEBUG;
	case spdlog::level::debug:
		return RTE_LOG_INFO;
	case spdlog::level::info:
		return RTE_LOG_NOTICE;
	case spdlog::level::warn:
		return RTE_LOG_WARNING;
	case spdlog::level::err:
		return RTE_LOG_ERR;
	case spdlog::level::critical:
		return RTE_LOG_CRIT;
	default:
		return RTE_LOG_EMERG;
	}
}

spdlog::level::level_enum from_eal_log_level(int eal_level) {
	switch (eal_level) {
	case RTE_LOG_EMERG:
	case RTE_LOG_ALERT:
	case RTE_LOG_CRIT:
		return spdlog::level::critical;
	case RTE_LOG_ERR:
		return spdlog::level::err;
	case RTE_LOG_WARNING:
		return spdlog::level::warn;
	case RTE_LOG_INFO:
		return spdlog::level::debug;
	case RTE_LOG_DEBUG:
		return spdlog::level::trace;
	default: // NOTICE, and writes from outside rte_log()
		return spdlog::level::info;
	}
}

namespace {

ssize_t forward_to_spdlog(void *, const char *buf, size_t size) {
	auto *logger = spdlog::default_logger_raw();
	if (logger->level() == spdlog::level::off) {
		return static_cast<ssize_t>(size);
	}
	auto level = from_eal_log_level(rte_log_cur_msg_loglevel());
	// The EAL already filtered this message, possibly through a per-type
	// level from --eal "--log-level=pmd.net.tap:debug": show it even when
	// that is more verbose than --log-level.
	if (level < logger->level()) {
		level = logger->level();
	}
	std::string_view text(buf, size);
	while (!text.empty()) {
		auto nl = text.find('\n');
		auto line = text.substr(0, nl);
		if (!line.empty() && line.back() == '\r') {
			line.remove_suffix(1);
		}
		if (!line.empty()) {
			logger->log(level, "{}", line);
		}
		if (nl == std::string_view::npos) {
			break;
		}
		text.remove_prefix(nl + 1);
	}
	return static_cast<ssize_t>(size);
}

} // namespace

FILE *open_dpdk_log_stream() {
	cookie_io_functions_t io{};
	io.write = forward_to_spdlog;
	FILE *f = fopencookie(nullptr, "w", io);
	if (f != nullptr) {
		// rte_log flushes after each message; line buffering also covers
		// callers that write to rte_log_get_stream() directly.
		setvbuf(f, nullptr, _IOLBF, 0);
	}
	return f;
}

int report_startup_error(const char *prog, const error &e) {
	spdlog::default_logger_raw()->flush();
	std::fprintf(stderr, "%s: %s\n", prog, e.message.c_str());
	return 1;
}

} // namespace skiff
