#pragma once

// HTTP/1.1 requests and responses for skiff-httpd (RFC 9110, RFC 9112): the
// request parser, the router and the response head. Pure functions over
// bytes, no sockets, so they can be tested alone.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string_view>

namespace skiff::apps::http {

/// The largest /bytes/N: 1 GiB.
inline constexpr uint64_t max_body = uint64_t(1) << 30;

enum class parse_status {
	incomplete, ///< no empty line yet: read more
	ok,
	bad,         ///< 400
	too_large,   ///< 431: the header section exceeds the cap
	bad_version, ///< 505: not HTTP/1.x
	unsupported, ///< 501: a Transfer-Encoding we do not decode
};

struct request {
	std::string_view method;
	std::string_view target;
	int minor = 1;               ///< HTTP/1.minor
	bool keep_alive = true;      ///< after the version's default and Connection
	uint64_t content_length = 0; ///< body bytes that follow the header
};

struct parse_result {
	parse_status status = parse_status::incomplete;
	size_t header_len = 0; ///< bytes of request line and header, with the empty line
	request req;
};

namespace detail {

inline bool is_tchar(char c) {
	// RFC 9110 5.6.2: token characters.
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
		return true;
	}
	return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

inline bool is_token(std::string_view s) {
	if (s.empty()) {
		return false;
	}
	for (char c : s) {
		if (!is_tchar(c)) {
			return false;
		}
	}
	return true;
}

inline char lower(char c) {
	return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
	if (a.size() != b.size()) {
		return false;
	}
	for (size_t i = 0; i < a.size(); i++) {
		if (lower(a[i]) != lower(b[i])) {
			return false;
		}
	}
	return true;
}

inline std::string_view trim(std::string_view s) {
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
		s.remove_prefix(1);
	}
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
		s.remove_suffix(1);
	}
	return s;
}

/// Decimal digits only, at most `max`; false on anything else or overflow.
inline bool parse_decimal(std::string_view s, uint64_t max, uint64_t &out) {
	if (s.empty() || s.size() > 19) {
		return false;
	}
	uint64_t v = 0;
	for (char c : s) {
		if (c < '0' || c > '9') {
			return false;
		}
		v = v * 10 + uint64_t(c - '0');
	}
	if (v > max) {
		return false;
	}
	out = v;
	return true;
}

/// The next line of `buf` from `pos`, without its LF or CRLF; npos if none.
inline size_t next_line(std::string_view buf, size_t pos, std::string_view &line) {
	size_t lf = buf.find('\n', pos);
	if (lf == std::string_view::npos) {
		return lf;
	}
	size_t end = lf > pos && buf[lf - 1] == '\r' ? lf - 1 : lf;
	line = buf.substr(pos, end - pos);
	return lf + 1;
}

/// The request line (RFC 9112 3): method SP request-target SP HTTP-version.
inline parse_status parse_request_line(std::string_view line, request &req) {
	size_t sp1 = line.find(' ');
	size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
	if (sp2 == std::string_view::npos) {
		return parse_status::bad;
	}
	req.method = line.substr(0, sp1);
	req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
	std::string_view version = line.substr(sp2 + 1);
	if (!is_token(req.method) || req.target.empty()) {
		return parse_status::bad;
	}
	for (char c : req.target) {
		if (uint8_t(c) <= ' ' || c == 0x7f) {
			return parse_status::bad;
		}
	}
	if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
	    version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9') {
		return parse_status::bad;
	}
	if (version[5] != '1') {
		return parse_status::bad_version;
	}
	req.minor = version[7] - '0';
	req.keep_alive = req.minor >= 1; // RFC 9112 9.3: 1.1 persists unless told to close
	return parse_status::ok;
}

/// Connection: a comma-separated list of options (RFC 9110 7.6.1).
inline void apply_connection(std::string_view value, request &req) {
	while (!value.empty()) {
		size_t comma = value.find(',');
		std::string_view opt = trim(value.substr(0, comma));
		if (iequals(opt, "close")) {
			req.keep_alive = false;
		} else if (iequals(opt, "keep-alive") && req.minor == 0) {
			req.keep_alive = true; // RFC 9112 9.3: HTTP/1.0 keep-alive
		}
		value =
		    comma == std::string_view::npos ? std::string_view() : value.substr(comma + 1);
	}
}

struct header_state {
	int hosts = 0;
	bool has_length = false;
	bool close_seen = false;
};

/// One field line (RFC 9112 5): name ":" OWS value OWS.
inline parse_status parse_field(std::string_view line, request &req, header_state &st) {
	if (line.front() == ' ' || line.front() == '\t') {
		return parse_status::bad; // obsolete line folding (RFC 9112 5.2)
	}
	size_t colon = line.find(':');
	if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
		return parse_status::bad; // also whitespace before the colon (RFC 9112 5.1)
	}
	std::string_view name = line.substr(0, colon);
	std::string_view value = trim(line.substr(colon + 1));
	if (iequals(name, "host")) {
		st.hosts++;
	} else if (iequals(name, "connection")) {
		apply_connection(value, req);
		st.close_seen = st.close_seen || !req.keep_alive;
	} else if (iequals(name, "transfer-encoding")) {
		return parse_status::unsupported;
	} else if (iequals(name, "content-length")) {
		uint64_t n = 0;
		// RFC 9112 6.3: a differing repeat or an invalid value is unrecoverable.
		if (!parse_decimal(value, UINT64_MAX / 10, n) ||
		    (st.has_length && n != req.content_length)) {
			return parse_status::bad;
		}
		st.has_length = true;
		req.content_length = n;
	}
	return parse_status::ok;
}

} // namespace detail

/**
 * Parse one request's line and header section at the start of `buf`.
 * @param buf        the bytes received so far
 * @param max_header the cap on the request line plus header section
 * @return incomplete (read more), ok (with header_len and the request; its
 *         views point into buf), or the error to answer with.
 */
inline parse_result parse_request(std::string_view buf, size_t max_header) {
	parse_result r;
	size_t pos = 0;
	std::string_view line;
	size_t next;
	// RFC 9112 2.2: ignore empty lines before the request line.
	while ((next = detail::next_line(buf, pos, line)) != std::string_view::npos &&
	       line.empty()) {
		pos = next;
	}
	if (next == std::string_view::npos) {
		r.status =
		    buf.size() >= max_header ? parse_status::too_large : parse_status::incomplete;
		return r;
	}
	parse_status st = detail::parse_request_line(line, r.req);
	detail::header_state hs;
	pos = next;
	while (st == parse_status::ok) {
		next = detail::next_line(buf, pos, line);
		if (next == std::string_view::npos || next > max_header) {
			r.status = next == std::string_view::npos && buf.size() < max_header
			               ? parse_status::incomplete
			               : parse_status::too_large;
			return r;
		}
		pos = next;
		if (line.empty()) {
			break;
		}
		st = detail::parse_field(line, r.req, hs);
	}
	if (st == parse_status::ok && r.req.minor >= 1 && hs.hosts != 1) {
		st = parse_status::bad; // RFC 9112 3.2: exactly one Host in HTTP/1.1
	}
	if (st == parse_status::ok && hs.close_seen) {
		r.req.keep_alive = false; // close wins over a keep-alive in another field line
	}
	r.status = st;
	r.header_len = pos;
	return r;
}

/// What to send back: a status, a head and a body.
struct response {
	int status = 200;
	bool close = false;     ///< close the connection after it
	bool head_only = false; ///< HEAD: no body
	bool pattern = false;   ///< the body is pattern bytes [0, body_len)
	std::string_view text;  ///< otherwise this body
	uint64_t body_len = 0;
};

inline const char *reason(int status) {
	switch (status) {
	case 200:
		return "OK";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 431:
		return "Request Header Fields Too Large";
	case 501:
		return "Not Implemented";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

inline constexpr std::string_view index_page =
    "<!DOCTYPE html>\n<html><head><title>skiff-httpd</title></head>\n"
    "<body><h1>skiff-httpd</h1>\n"
    "<p>HTTP/1.1 over skiff, a kernel-bypass TCP/IP stack on DPDK.</p>\n"
    "<p><a href=\"/bytes/1024\">/bytes/N</a> returns N bytes of test pattern "
    "(N up to 1073741824).</p>\n</body></html>\n";

/// The body of an error answer: its status line.
inline std::string_view error_text(int status) {
	switch (status) {
	case 400:
		return "400 Bad Request\n";
	case 404:
		return "404 Not Found\n";
	case 405:
		return "405 Method Not Allowed\n";
	case 431:
		return "431 Request Header Fields Too Large\n";
	case 501:
		return "501 Not Implemented\n";
	case 505:
		return "505 HTTP Version Not Supported\n";
	default:
		return "error\n";
	}
}

/// An error answer, with its status line as the body.
inline response error_response(int status, bool close) {
	response r;
	r.status = status;
	r.close = close;
	r.text = error_text(status);
	r.body_len = r.text.size();
	return r;
}

/// The path of a request target: origin-form as is, absolute-form without
/// scheme and authority (RFC 9112 3.2), either without its query.
inline std::string_view target_path(std::string_view target) {
	if (target.size() > 7 && detail::iequals(target.substr(0, 7), "http://")) {
		size_t slash = target.find('/', 7);
		target =
		    slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
	}
	return target.substr(0, target.find('?'));
}

/**
 * Route a parsed request: GET or HEAD of / (a page) or /bytes/N (N pattern
 * bytes, N <= max_body; 400 otherwise), 404 for other paths, 405 for other
 * methods.
 */
inline response route(const request &req) {
	bool head = req.method == "HEAD";
	if (!head && req.method != "GET") {
		return error_response(405, !req.keep_alive);
	}
	std::string_view path = target_path(req.target);
	response r;
	if (path == "/") {
		r.text = index_page;
		r.body_len = index_page.size();
	} else if (path.substr(0, 7) == "/bytes/") {
		uint64_t n = 0;
		if (!detail::parse_decimal(path.substr(7), max_body, n)) {
			return error_response(400, !req.keep_alive);
		}
		r.pattern = true;
		r.body_len = n;
	} else {
		return error_response(404, !req.keep_alive);
	}
	r.close = !req.keep_alive;
	r.head_only = head;
	return r;
}

/**
 * Write the status line and header section for `r` into `out`.
 * @param minor the request's HTTP/1.minor (1.0 keep-alive is said explicitly)
 * @param date  an IMF-fixdate, or empty for none
 * @return the length, or 0 if it does not fit.
 */
inline size_t format_head(const response &r, int minor, std::string_view date, char *out,
                          size_t cap) {
	const char *type = r.pattern         ? "application/octet-stream"
	                   : r.status == 200 ? "text/html; charset=utf-8"
	                                     : "text/plain; charset=utf-8";
	const char *conn = r.close      ? "Connection: close\r\n"
	                   : minor == 0 ? "Connection: keep-alive\r\n"
	                                : "";
	int n =
	    snprintf(out, cap,
	             "HTTP/1.1 %d %s\r\nServer: skiff-httpd\r\n%s%.*s%sContent-Type: %s\r\n"
	             "Content-Length: %llu\r\n%s%s\r\n",
	             r.status, reason(r.status), date.empty() ? "" : "Date: ", int(date.size()),
	             date.data(), date.empty() ? "" : "\r\n", type, (unsigned long long)r.body_len,
	             conn, r.status == 405 ? "Allow: GET, HEAD\r\n" : "");
	return n > 0 && size_t(n) < cap ? size_t(n) : 0;
}

} // namespace skiff::apps::http
