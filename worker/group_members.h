// The group's live members as one worker sees them (docs/scaleout.md
// "Leases, membership, balance"). Every worker puts its name in the
// claimmap_members bucket at each heartbeat; this class follows that bucket
// with one key-value watcher kept for the worker's life, and counts the
// names put within the last TTL.
//
// Why a watcher kept open: kvStore_Keys at every heartbeat creates and
// destroys an ordered consumer and its subscription each time (load on the
// server), and with libnats 3.4 destroying a subscription while member
// updates stream into it can corrupt the heap (see Connection in
// worker/jetstream.h). A watcher that stops delivering (a broker's failover
// it did not survive) is retired and a new one made.
//
// Thread-safety: one thread (the worker's main loop).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "worker/jetstream.h"

namespace claimmap::scaleout {

class GroupMembers {
 public:
  // `members`: the bucket (outlives this); `self`: this worker's name,
  // always counted live.
  GroupMembers(Connection& conn, kvStore* members, std::string self, std::chrono::milliseconds ttl);
  ~GroupMembers();
  GroupMembers(const GroupMembers&) = delete;
  GroupMembers& operator=(const GroupMembers&) = delete;

  // Takes in the updates that have arrived (waiting at most `wait` for the
  // first) and returns how many workers put their name within the TTL.
  uint32_t live(std::chrono::milliseconds wait);

 private:
  using Clock = std::chrono::steady_clock;
  void watch();
  void retire_watcher();

  Connection& conn_;
  kvStore* kv_;
  std::string self_;
  std::chrono::milliseconds ttl_;
  kvWatcher* watcher_ = nullptr;
  Clock::time_point last_update_;
  std::map<std::string, Clock::time_point> seen_;  // name -> when its last put arrived
};

}  // namespace claimmap::scaleout
