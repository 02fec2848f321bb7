// simulator/load_profile.h — when each event of an open-loop run arrives.
//
// A storm profile turns an event count and a peak rate into an arrival time
// for every event, in seconds from the start of the run:
//   steady  the peak rate throughout;
//   ramp    from a tenth of the peak up to the peak, linearly, while the first
//           half of the events arrive; then the peak (a Monday morning);
//   spike   a quarter of the peak for the first 10% of events, the peak for
//           the next 80% (everyone at once: a re-login after an outage), a
//           quarter of the peak for the last 10%.
// Immutable value; safe to share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace claimmap::sim {

enum class LoadProfile : uint8_t { kSteady, kRamp, kSpike };
std::string_view load_profile_name(LoadProfile profile);
std::optional<LoadProfile> parse_load_profile(std::string_view name);

class ArrivalSchedule {
 public:
  // `events` arrivals with the given peak rate (events per second, > 0).
  ArrivalSchedule(LoadProfile profile, double peak_rate, uint64_t events);

  // When event `index` (0-based) arrives, in seconds from the start.
  double arrival_seconds(uint64_t index) const;
  // When the last event arrives: the run's offered duration.
  double duration_seconds() const { return arrival_seconds(events_ ? events_ - 1 : 0); }
  // Events over offered duration.
  double mean_rate() const;
  double peak_rate() const { return peak_; }
  LoadProfile profile() const { return profile_; }

 private:
  LoadProfile profile_;
  double peak_;
  uint64_t events_;
};

}  // namespace claimmap::sim
