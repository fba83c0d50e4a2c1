#pragma once

// A typed result for control-path functions: a value, or an error that
// carries a negative errno and one line telling the user what to do.
// (std::expected is C++23 and not usable with clang 14's concepts, which
// the fuzz build needs, so we keep this small stand-in.)

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace skiff {

struct error {
	int code = -EINVAL;  ///< negative errno
	std::string message; ///< one line, says what to do
};

template <typename T> class [[nodiscard]] result {
public:
	result(T value) : _v(std::move(value)) {}
	result(error e) : _v(std::move(e)) {}

	bool ok() const { return _v.index() == 0; }
	explicit operator bool() const { return ok(); }

	T &value() & { return std::get<0>(_v); }
	T &&value() && { return std::get<0>(std::move(_v)); }
	const T &value() const & { return std::get<0>(_v); }
	T *operator->() { return &value(); }
	T &operator*() { return value(); }
	const error &err() const { return std::get<1>(_v); }

private:
	std::variant<T, error> _v;
};

/// result<void>: success or an error.
template <> class [[nodiscard]] result<void> {
public:
	result() = default;
	result(error e) : _err(std::move(e)), _failed(true) {}

	bool ok() const { return !_failed; }
	explicit operator bool() const { return ok(); }
	const error &err() const { return _err; }

private:
	error _err;
	bool _failed = false;
};

inline error make_error(int code, std::string message) {
	return error{code, std::move(message)};
}

} // namespace skiff
