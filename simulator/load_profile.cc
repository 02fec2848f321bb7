#include "simulator/load_profile.h"

#include <cmath>

namespace claimmap::sim {

std::string_view load_profile_name(LoadProfile profile) {
  switch (profile) {
    case LoadProfile::kSteady: return "steady";
    case LoadProfile::kRamp: return "ramp";
    case LoadProfile::kSpike: return "spike";
  }
  return "steady";
}

std::optional<LoadProfile> parse_load_profile(std::string_view name) {
  if (name == "steady") return LoadProfile::kSteady;
  if (name == "ramp") return LoadProfile::kRamp;
  if (name == "spike") return LoadProfile::kSpike;
  return std::nullopt;
}

ArrivalSchedule::ArrivalSchedule(LoadProfile profile, double peak_rate, uint64_t events)
    : profile_(profile), peak_(peak_rate > 0 ? peak_rate : 1.0), events_(events) {}

double ArrivalSchedule::arrival_seconds(uint64_t index) const {
  const double i = static_cast<double>(index);
  const double n = static_cast<double>(events_);
  const double low = peak_ / 10;
  switch (profile_) {
    case LoadProfile::kSteady:
      return i / peak_;
    case LoadProfile::kRamp: {
      // The rate climbs linearly from `low` to `peak_` over ramp_seconds, in
      // which n/2 events arrive: n/2 = (low + peak)/2 · ramp_seconds.
      const double half = n / 2;
      const double ramp_seconds = n / (low + peak_);
      if (i >= half) return ramp_seconds + (i - half) / peak_;
      // Events by time t: low·t + a·t², a = (peak - low) / (2·ramp_seconds).
      const double a = (peak_ - low) / (2 * ramp_seconds);
      return (-low + std::sqrt(low * low + 4 * a * i)) / (2 * a);
    }
    case LoadProfile::kSpike: {
      const double low = peak_ / 4;  // the shoulders: early birds, stragglers
      const double before = n * 0.1, spike = n * 0.8;
      if (i < before) return i / low;
      if (i < before + spike) return before / low + (i - before) / peak_;
      return before / low + spike / peak_ + (i - before - spike) / low;
    }
  }
  return i / peak_;
}

double ArrivalSchedule::mean_rate() const {
  const double d = duration_seconds();
  return d > 0 ? static_cast<double>(events_) / d : peak_;
}

}  // namespace claimmap::sim
