#pragma once

// A socket table that data-plane cores read without any lock while the
// control side inserts and removes concurrently.
//
// It is DPDK's rte_hash with RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF: lookups
// never block and never see a torn entry. Writers are serialised by the
// caller (the socket layer's control mutex). Reclamation goes through RCU
// QSBR (rte_hash_rcu_qsbr_add, defer-queue mode): a deleted key's slot, and
// the reference the table held on its value, are released only after every
// reader core has reported a quiescent state, i.e. after no core can still
// hold a pointer it looked up before the delete.
//
// Memory ordering: rte_hash's LF mode publishes a new entry with a release
// store of the key index after the key and data are written, and readers
// load it with acquire, so a reader that finds the key also sees a fully
// built socket (the socket is built before insert()). A remove() only
// unlinks; the value stays valid for readers until the grace period ends,
// because the value's release runs from the QSBR defer queue.

#include "base/result.h"
#include "net/flow_key.h"

#include <rte_hash.h>
#include <rte_rcu_qsbr.h>

#include <string>

namespace skiff::net {

class socket_table {
public:
	/// Called, after the grace period, for every value removed or left in
	/// the table at destruction.
	using release_fn = void (*)(void *value);

	/// @p multi_writer: writers on several threads (a worker adding the
	/// TCP connections it accepts while the control path adds others);
	/// rte_hash then serialises the writers, readers stay lock-free.
	static result<socket_table> create(const std::string &name, uint32_t capacity,
	                                   rte_rcu_qsbr *qsbr, release_fn release,
	                                   bool multi_writer = false);

	socket_table(socket_table &&o) noexcept;
	socket_table &operator=(socket_table &&o) noexcept;
	socket_table(const socket_table &) = delete;
	~socket_table();

	/// Control side. -EEXIST if the key is present, -ENOSPC when full.
	int insert(const flow_key &key, void *value);
	/// Control side. -ENOENT if absent.
	int remove(const flow_key &key);

	/// Data side: lock-free, wait-free for readers.
	void *lookup(const flow_key &key) const {
		void *v;
		return rte_hash_lookup_data(_hash, &key, &v) >= 0 ? v : nullptr;
	}
	/// Data side, `n` keys at once (up to RTE_HASH_LOOKUP_BULK_MAX).
	void lookup_bulk(const flow_key **keys, uint32_t n, void **values) const;

	/// Keys present plus deleted keys whose slots still await their grace
	/// period (rte_hash_count counts slots in use).
	uint32_t size() const { return uint32_t(rte_hash_count(_hash)); }
	rte_hash *raw() const { return _hash; }

private:
	socket_table() = default;

	rte_hash *_hash = nullptr;
	release_fn _release = nullptr;
};

} // namespace skiff::net
