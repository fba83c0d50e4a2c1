// Logging: level names, EAL level mapping, DPDK log stream into spdlog.
#include "env/log.h"

#include <gtest/gtest.h>
#include <rte_log.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <sstream>
#include <string>

namespace skiff {
namespace {

TEST(log, parse_level) {
	using namespace spdlog::level;
	EXPECT_EQ(parse_level("trace"), trace);
	EXPECT_EQ(parse_level("debug"), debug);
	EXPECT_EQ(parse_level("info"), info);
	EXPECT_EQ(parse_level("warn"), warn);
	EXPECT_EQ(parse_level("error"), err);
	EXPECT_EQ(parse_level("critical"), critical);
	EXPECT_EQ(parse_level("off"), off);
	EXPECT_FALSE(parse_level("INFO").has_value());
	EXPECT_FALSE(parse_level("").has_value());
	EXPECT_FALSE(parse_level("verbose").has_value());
}

TEST(log, eal_levels_round_trip) {
	using namespace spdlog::level;
	EXPECT_EQ(eal_log_level(info), unsigned(RTE_LOG_NOTICE));
	EXPECT_EQ(eal_log_level(debug), unsigned(RTE_LOG_INFO));
	EXPECT_EQ(eal_log_level(trace), unsigned(RTE_LOG_DEBUG));
	EXPECT_EQ(eal_log_level(off), unsigned(RTE_LOG_EMERG));
	for (auto l : {trace, debug, info, warn, err, critical}) {
		EXPECT_EQ(from_eal_log_level(int(eal_log_level(l))), l);
	}
}

TEST(log, init_logging_sets_default_logger) {
	init_logging("warn");
	EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::warn);
	init_logging("bogus");
	EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::info);
}

// Route the default logger into a string for the duration of a test.
class captured_log {
public:
	explicit captured_log(spdlog::level::level_enum level) {
		_old = spdlog::default_logger();
		auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(_out);
		auto logger = std::make_shared<spdlog::logger>("capture", sink);
		logger->set_pattern("%l|%v");
		logger->set_level(level);
		spdlog::set_default_logger(logger);
	}
	~captured_log() { spdlog::set_default_logger(_old); }
	std::string text() const { return _out.str(); }

private:
	std::ostringstream _out;
	std::shared_ptr<spdlog::logger> _old;
};

TEST(log, dpdk_stream_forwards_lines) {
	captured_log cap(spdlog::level::info);
	FILE *f = open_dpdk_log_stream();
	ASSERT_NE(f, nullptr);
	std::fprintf(f, "EAL: first\nEAL: second\r\n");
	std::fprintf(f, "EAL: partial");
	std::fflush(f);
	std::fclose(f);
	std::string out = cap.text();
	EXPECT_NE(out.find("|EAL: first\n"), std::string::npos) << out;
	EXPECT_NE(out.find("|EAL: second\n"), std::string::npos) << out;
	EXPECT_NE(out.find("|EAL: partial\n"), std::string::npos) << out;
	EXPECT_EQ(out.find('\r'), std::string::npos) << out;
}

TEST(log, rte_log_goes_through_spdlog) {
	captured_log cap(spdlog::level::info);
	FILE *f = open_dpdk_log_stream();
	ASSERT_NE(f, nullptr);
	FILE *old = rte_log_get_stream();
	rte_openlog_stream(f);
	uint32_t old_level = rte_log_get_global_level();
	rte_log_set_global_level(RTE_LOG_DEBUG);
	rte_log(RTE_LOG_WARNING, RTE_LOGTYPE_USER1, "USER1: careful %d\n", 42);
	rte_log(RTE_LOG_NOTICE, RTE_LOGTYPE_USER1, "USER1: note\n");
	rte_log_set_global_level(old_level);
	rte_openlog_stream(old);
	std::fclose(f);
	std::string out = cap.text();
	EXPECT_NE(out.find("warning|USER1: careful 42\n"), std::string::npos) << out;
	EXPECT_NE(out.find("info|USER1: note\n"), std::string::npos) << out;
}

TEST(log, off_silences_dpdk_stream) {
	captured_log cap(spdlog::level::off);
	FILE *f = open_dpdk_log_stream();
	ASSERT_NE(f, nullptr);
	std::fprintf(f, "EAL: hidden\n");
	std::fclose(f);
	EXPECT_EQ(cap.text(), "");
}

TEST(log, startup_error_is_one_line) {
	testing::internal::CaptureStderr();
	int rc = report_startup_error("skiff-demo", make_error(-EINVAL, "--mem 10 is too small"));
	std::string err = testing::internal::GetCapturedStderr();
	EXPECT_EQ(rc, 1);
	EXPECT_EQ(err, "skiff-demo: --mem 10 is too small\n");
}

} // namespace
} // namespace skiff
