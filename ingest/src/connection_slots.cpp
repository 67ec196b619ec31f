// Connection caps with reclamation (see gc/connection_slots.hpp).
#include "gc/connection_slots.hpp"

#include <algorithm>
#include <vector>

namespace gc::ingest {

ConnectionSlots::ConnectionSlots(SlotLimits limits) : limits_(limits) {}

std::deque<ConnectionSlots::Entry>::iterator ConnectionSlots::victim_in(std::deque<Entry>& list) {
  auto best = list.end();
  SlotTier best_tier = SlotTier::working;
  for (auto it = list.begin(); it != list.end(); ++it) {
    const auto holder = it->weak.lock();
    if (!holder) {
      return it;  // being destroyed: its slot is free for the taking
    }
    const SlotTier tier = holder->tier();
    if (tier < best_tier) {  // strict: the oldest of the lowest tier wins
      best = it;
      best_tier = tier;
      if (tier == SlotTier::unproven) {
        break;
      }
    }
  }
  return best;
}

std::shared_ptr<SlotHolder> ConnectionSlots::take(std::deque<Entry>& list,
                                                  std::deque<Entry>::iterator it) {
  auto holder = it->weak.lock();
  it->holder->holds_slot_ = false;
  list.erase(it);
  --total_;
  ++reclaimed_;
  return holder;
}

ConnectionSlots::Admission ConnectionSlots::admit(const std::string& address,
                                                  const std::shared_ptr<SlotHolder>& holder) {
  std::vector<std::shared_ptr<SlotHolder>> victims;
  Admission result = Admission::admitted;
  {
    std::lock_guard lock(mutex_);
    auto& mine = by_address_[address];
    if (mine.size() >= limits_.max_per_address) {
      const auto it = victim_in(mine);
      if (it == mine.end()) {
        result = Admission::refused_address_full;
      } else {
        victims.push_back(take(mine, it));
      }
    }
    if (result == Admission::admitted && total_ >= limits_.max_total) {
      // From the address holding the most slots that has one to give.
      std::vector<std::pair<std::size_t, std::deque<Entry>*>> lists;
      for (auto& [a, list] : by_address_) {
        if (!list.empty()) lists.emplace_back(list.size(), &list);
      }
      std::sort(lists.begin(), lists.end(),
                [](const auto& x, const auto& y) { return x.first > y.first; });
      bool found = false;
      for (auto& [size, list] : lists) {
        const auto it = victim_in(*list);
        if (it != list->end()) {
          victims.push_back(take(*list, it));
          found = true;
          break;
        }
      }
      if (!found) {
        result = Admission::refused_full;
      }
    }
    if (result == Admission::admitted) {
      holder->address_ = address;
      holder->holds_slot_ = true;
      mine.push_back(Entry{holder.get(), holder});
      ++total_;
    } else if (mine.empty()) {
      by_address_.erase(address);
    }
  }
  for (const auto& victim : victims) {
    if (victim) victim->evict();
  }
  return result;
}

void ConnectionSlots::release(SlotHolder& holder) {
  std::lock_guard lock(mutex_);
  if (!holder.holds_slot_) {
    return;
  }
  holder.holds_slot_ = false;
  const auto list = by_address_.find(holder.address_);
  if (list == by_address_.end()) {
    return;
  }
  const auto it = std::find_if(list->second.begin(), list->second.end(),
                               [&](const Entry& e) { return e.holder == &holder; });
  if (it != list->second.end()) {
    list->second.erase(it);
    --total_;
  }
  if (list->second.empty()) {
    by_address_.erase(list);
  }
}

std::size_t ConnectionSlots::in_use() const {
  std::lock_guard lock(mutex_);
  return total_;
}

std::size_t ConnectionSlots::in_use(const std::string& address) const {
  std::lock_guard lock(mutex_);
  const auto it = by_address_.find(address);
  return it == by_address_.end() ? 0 : it->second.size();
}

}  // namespace gc::ingest
