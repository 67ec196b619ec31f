// connection_slots — the connection caps of a listener (ingest and the reading station): at most
// max_total connections and at most max_per_address from one peer address. When a cap is reached
// a new connection does not simply bounce: the slot of a connection that has proved nothing yet
// (no TLS handshake, no hello, no request) is reclaimed first, then that of an idle one, oldest
// first; only when every slot holds a working connection is the new one refused (issue 16 #3/#4:
// a thousand idle sockets from one address kept every cart and browser out). With the total cap
// reached, the slot is taken from the address that holds the most.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gc::ingest {

// What a connection is doing, in the order its slot is reclaimed (lowest first).
enum class SlotTier : int {
  unproven = 0,  // connected; no TLS handshake / hello / request completed yet
  proving = 1,   // a hello is being authenticated
  idle = 2,      // authenticated (or between HTTP requests) with nothing in progress
  working = 3,   // streaming a study, answering a request, a live WebSocket: never reclaimed
};

// A connection that holds a slot. evict() is called at most once, from any thread, after the
// slot has been taken away; it must close the connection soon (on its own strand).
class SlotHolder {
 public:
  virtual ~SlotHolder() = default;
  virtual void evict() = 0;
  void set_tier(SlotTier tier) { tier_.store(tier, std::memory_order_relaxed); }
  SlotTier tier() const { return tier_.load(std::memory_order_relaxed); }

 private:
  friend class ConnectionSlots;
  std::atomic<SlotTier> tier_{SlotTier::unproven};
  bool holds_slot_ = false;  // guarded by the ConnectionSlots mutex
  std::string address_;      // set on admit
};

struct SlotLimits {
  std::size_t max_total = 10'000;
  std::size_t max_per_address = 256;
};

class ConnectionSlots {
 public:
  explicit ConnectionSlots(SlotLimits limits);

  enum class Admission { admitted, refused_address_full, refused_full };
  // Admits `holder` (a new connection from `address`), reclaiming another connection's slot if
  // a cap is reached (that holder's evict() is called before this returns). Thread-safe.
  Admission admit(const std::string& address, const std::shared_ptr<SlotHolder>& holder);
  // Gives the slot back (connection closed). Idempotent; thread-safe; also after an eviction.
  void release(SlotHolder& holder);

  std::size_t in_use() const;
  std::size_t in_use(const std::string& address) const;
  std::uint64_t reclaimed() const { return reclaimed_; }
  const SlotLimits& limits() const { return limits_; }

 private:
  struct Entry {
    SlotHolder* holder;
    std::weak_ptr<SlotHolder> weak;
  };
  // The lowest-tier, oldest evictable entry of `address` (end() when all are working).
  std::deque<Entry>::iterator victim_in(std::deque<Entry>& list);
  std::shared_ptr<SlotHolder> take(std::deque<Entry>& list, std::deque<Entry>::iterator it);

  const SlotLimits limits_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::deque<Entry>> by_address_;  // accept order
  std::size_t total_ = 0;
  std::atomic<std::uint64_t> reclaimed_{0};
};

}  // namespace gc::ingest
