// skiff-httpd's HTTP/1.1 request parser (RFC 9112), router and response head,
// and the test pattern that /bytes/N and skiff-nc --send-bytes share.

#include "httpd/http.h"
#include "httpd/pattern.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace http = skiff::apps::http;
using http::parse_status;

namespace {

constexpr size_t cap = 8192;

http::parse_result parse(std::string_view s) {
	return http::parse_request(s, cap);
}

} // namespace

TEST(pattern, first_words_are_the_multiples_of_the_golden_ratio_little_endian) {
	uint8_t b[16];
	skiff::apps::pattern_fill(b, 0, sizeof(b));
	const uint8_t want[16] = {0x15, 0x7c, 0x4a, 0x7f, 0xb9, 0x79, 0x37, 0x9e,
	                          0x2a, 0xf8, 0x94, 0xfe, 0x72, 0xf3, 0x6e, 0x3c};
	EXPECT_EQ(0, memcmp(b, want, sizeof(b)));
}

TEST(pattern, any_offset_and_length_is_a_slice_of_the_stream) {
	std::vector<uint8_t> all(4096);
	skiff::apps::pattern_fill(all.data(), 0, all.size());
	for (size_t off : {0, 1, 7, 8, 9, 1000, 4000}) {
		for (size_t len : {0, 1, 3, 8, 15, 64, 96}) {
			if (off + len > all.size()) {
				continue;
			}
			std::vector<uint8_t> part(len + 1, 0xee);
			skiff::apps::pattern_fill(part.data(), off, len);
			EXPECT_EQ(0, memcmp(part.data(), all.data() + off, len))
			    << off << "+" << len;
			EXPECT_EQ(0xee, part[len]) << "wrote past the end at " << off << "+" << len;
		}
	}
}

TEST(parse, a_complete_get) {
	std::string req = "GET /bytes/10 HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\nGET";
	auto r = parse(req);
	ASSERT_EQ(parse_status::ok, r.status);
	EXPECT_EQ(req.size() - 3, r.header_len);
	EXPECT_EQ("GET", r.req.method);
	EXPECT_EQ("/bytes/10", r.req.target);
	EXPECT_EQ(1, r.req.minor);
	EXPECT_TRUE(r.req.keep_alive);
	EXPECT_EQ(0u, r.req.content_length);
}

TEST(parse, incomplete_until_the_empty_line) {
	std::string req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	for (size_t n = 0; n < req.size(); n++) {
		EXPECT_EQ(parse_status::incomplete, parse(req.substr(0, n)).status) << n;
	}
	EXPECT_EQ(parse_status::ok, parse(req).status);
}

TEST(parse, bare_lf_and_leading_empty_lines_are_accepted) {
	auto r = parse("\r\n\nGET / HTTP/1.1\nHost: x\n\n");
	ASSERT_EQ(parse_status::ok, r.status);
	EXPECT_EQ("/", r.req.target);
}

TEST(parse, connection_close_and_http_1_0_defaults) {
	EXPECT_FALSE(
	    parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").req.keep_alive);
	EXPECT_FALSE(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, CLOSE\r\n\r\n")
	                 .req.keep_alive);
	EXPECT_FALSE(parse("GET / HTTP/1.0\r\n\r\n").req.keep_alive);
	EXPECT_TRUE(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").req.keep_alive);
	EXPECT_FALSE(parse("GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n")
	                 .req.keep_alive);
	// keep-alive means nothing to HTTP/1.1, which persists anyway.
	EXPECT_TRUE(
	    parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n").req.keep_alive);
}

TEST(parse, host_is_required_once_in_http_1_1) {
	EXPECT_EQ(parse_status::bad, parse("GET / HTTP/1.1\r\n\r\n").status);
	EXPECT_EQ(parse_status::bad, parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n").status);
	EXPECT_EQ(parse_status::ok, parse("GET / HTTP/1.0\r\n\r\n").status);
}

TEST(parse, malformed_requests_are_bad) {
	for (const char *req : {
	         "GET\r\n\r\n",
	         "GET /\r\n\r\n",                           // HTTP/0.9
	         "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",      // two spaces: empty target
	         "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",      // trailing space
	         "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",       // not a token
	         "GET / HTTX/1.1\r\nHost: x\r\n\r\n",       //
	         "GET / HTTP/1.10\r\nHost: x\r\n\r\n",      //
	         "GET / HTTP/1.1\r\nHost : x\r\n\r\n",      // space before the colon
	         "GET / HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", // obsolete folding
	         "GET / HTTP/1.1\r\nHost x\r\n\r\n",        // no colon
	         "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1x\r\n\r\n",
	         "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	         "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
	     }) {
		EXPECT_EQ(parse_status::bad, parse(req).status) << req;
	}
}

TEST(parse, other_versions_and_transfer_codings) {
	EXPECT_EQ(parse_status::bad_version, parse("GET / HTTP/2.0\r\nHost: x\r\n\r\n").status);
	EXPECT_EQ(parse_status::unsupported,
	          parse("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n").status);
}

TEST(parse, content_length_is_reported) {
	auto r = parse("POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\nhello");
	ASSERT_EQ(parse_status::ok, r.status);
	EXPECT_EQ(12u, r.req.content_length);
}

TEST(parse, the_header_cap) {
	std::string big = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(cap, 'a');
	EXPECT_EQ(parse_status::too_large, parse(big).status);
	EXPECT_EQ(parse_status::too_large, parse(big + "\r\n\r\n").status);
	EXPECT_EQ(parse_status::too_large, parse(std::string(cap, 'G')).status);
	std::string fits = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	fits.insert(16, "X: " + std::string(cap - fits.size() - 5, 'a') + "\r\n");
	ASSERT_EQ(cap, fits.size());
	EXPECT_EQ(parse_status::ok, parse(fits).status);
}

namespace {

http::response route(const char *method, const char *target, int minor = 1) {
	http::request req;
	req.method = method;
	req.target = target;
	req.minor = minor;
	req.keep_alive = minor >= 1;
	return http::route(req);
}

} // namespace

TEST(route, index_bytes_and_errors) {
	auto r = route("GET", "/");
	EXPECT_EQ(200, r.status);
	EXPECT_FALSE(r.pattern);
	EXPECT_EQ(r.text.size(), r.body_len);
	EXPECT_NE(std::string_view::npos, r.text.find("<html>"));

	r = route("GET", "/bytes/67108864");
	EXPECT_EQ(200, r.status);
	EXPECT_TRUE(r.pattern);
	EXPECT_EQ(67108864u, r.body_len);
	EXPECT_EQ(1073741824u, route("GET", "/bytes/1073741824").body_len);
	EXPECT_EQ(0u, route("GET", "/bytes/0").body_len);
	EXPECT_EQ(5u, route("GET", "/bytes/5?x=1").body_len);
	EXPECT_EQ(5u, route("GET", "http://198.18.0.2/bytes/5").body_len);
	for (const char *bad : {"/bytes/1073741825", "/bytes/", "/bytes/-1", "/bytes/+1",
	                        "/bytes/1x", "/bytes/99999999999999999999999"}) {
		EXPECT_EQ(400, route("GET", bad).status) << bad;
	}
	EXPECT_EQ(404, route("GET", "/nope").status);
	EXPECT_EQ(404, route("GET", "/bytes").status);
	EXPECT_EQ(405, route("POST", "/").status);
	EXPECT_EQ(405, route("DELETE", "/bytes/1").status);

	r = route("HEAD", "/bytes/100");
	EXPECT_EQ(200, r.status);
	EXPECT_TRUE(r.head_only);
	EXPECT_EQ(100u, r.body_len);
	EXPECT_TRUE(route("GET", "/", 0).close);
	EXPECT_FALSE(route("GET", "/", 1).close);
}

TEST(head, status_line_length_and_connection) {
	char buf[512];
	auto r = route("GET", "/bytes/42");
	size_t n = http::format_head(r, 1, "Sun, 06 Nov 1994 08:49:37 GMT", buf, sizeof(buf));
	std::string h(buf, n);
	EXPECT_EQ(0u, h.find("HTTP/1.1 200 OK\r\n"));
	EXPECT_NE(std::string::npos, h.find("\r\nContent-Length: 42\r\n"));
	EXPECT_NE(std::string::npos, h.find("\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	EXPECT_EQ(std::string::npos, h.find("Connection:"));
	EXPECT_EQ(h.size() - 4, h.find("\r\n\r\n"));

	r.close = true;
	h.assign(buf, http::format_head(r, 1, "", buf, sizeof(buf)));
	EXPECT_NE(std::string::npos, h.find("\r\nConnection: close\r\n"));
	EXPECT_EQ(std::string::npos, h.find("Date:"));

	r.close = false;
	h.assign(buf, http::format_head(r, 0, "", buf, sizeof(buf)));
	EXPECT_NE(std::string::npos, h.find("\r\nConnection: keep-alive\r\n"));

	auto e = http::error_response(405, false);
	h.assign(buf, http::format_head(e, 1, "", buf, sizeof(buf)));
	EXPECT_EQ(0u, h.find("HTTP/1.1 405 Method Not Allowed\r\n"));
	EXPECT_NE(std::string::npos, h.find("\r\nAllow: GET, HEAD\r\n"));
	EXPECT_EQ(e.text.size(), e.body_len);

	EXPECT_EQ(0u, http::format_head(r, 1, "", buf, 20)); // does not fit
}
