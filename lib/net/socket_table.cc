#include "net/socket_table.h"

#include <rte_errno.h>
#include <rte_hash_crc.h>

#include <utility>

namespace skiff::net {

namespace {

void release_key_data(void *p, void *value) {
	reinterpret_cast<socket_table::release_fn>(p)(value);
}

} // namespace

result<socket_table> socket_table::create(const std::string &name, uint32_t capacity,
                                          rte_rcu_qsbr *qsbr, release_fn release,
                                          bool multi_writer) {
	socket_table t;
	t._release = release;
	rte_hash_parameters params{};
	params.name = name.c_str();
	params.entries = capacity;
	params.key_len = sizeof(flow_key);
	params.hash_func = rte_hash_crc;
	params.socket_id = SOCKET_ID_ANY;
	params.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF;
	if (multi_writer) {
		params.extra_flag |= RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
	}
	t._hash = rte_hash_create(&params);
	if (!t._hash) {
		return make_error(-rte_errno, "cannot create socket table " + name + ": " +
		                                  rte_strerror(rte_errno) + " (raise --mem)");
	}
	rte_hash_rcu_config rcu{};
	rcu.v = qsbr;
	rcu.mode = RTE_HASH_QSBR_MODE_DQ;
	// The defer queue reclaims on a delete when it holds more than this
	// many entries: 0 reclaims on every delete, so a closed socket (and the
	// mbufs queued on it) is freed by the next close after its grace
	// period, not left until two more sockets close.
	rcu.trigger_reclaim_limit = 0;
	rcu.key_data_ptr = reinterpret_cast<void *>(release);
	rcu.free_key_data_func = release_key_data;
	if (rte_hash_rcu_qsbr_add(t._hash, &rcu) != 0) {
		return make_error(-rte_errno, "cannot attach RCU to socket table " + name + ": " +
		                                  rte_strerror(rte_errno));
	}
	return t;
}

socket_table::socket_table(socket_table &&o) noexcept {
	*this = std::move(o);
}

socket_table &socket_table::operator=(socket_table &&o) noexcept {
	std::swap(_hash, o._hash);
	std::swap(_release, o._release);
	return *this;
}

socket_table::~socket_table() {
	if (!_hash) {
		return;
	}
	// Values still present were never removed: release them here. The
	// caller guarantees no reader is left (workers stopped).
	const void *key;
	void *value;
	uint32_t next = 0;
	while (rte_hash_iterate(_hash, &key, &value, &next) >= 0) {
		_release(value);
	}
	rte_hash_free(_hash);
}

int socket_table::insert(const flow_key &key, void *value) {
	if (rte_hash_lookup(_hash, &key) >= 0) {
		return -EEXIST;
	}
	int rc = rte_hash_add_key_data(_hash, &key, value);
	return rc == 0 ? 0 : -ENOSPC;
}

int socket_table::remove(const flow_key &key) {
	int32_t pos = rte_hash_del_key(_hash, &key);
	return pos >= 0 ? 0 : -ENOENT;
}

void socket_table::lookup_bulk(const flow_key **keys, uint32_t n, void **values) const {
	uint64_t hits = 0;
	rte_hash_lookup_bulk_data(_hash, reinterpret_cast<const void **>(keys), n, &hits, values);
	for (uint32_t i = 0; i < n; i++) {
		if (!(hits & (1ull << i))) {
			values[i] = nullptr;
		}
	}
}

} // namespace skiff::net
