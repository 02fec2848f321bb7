// simulator/duration.h — reading durations such as "2ms" on the command line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace claimmap::sim {

// "2ms", "500us" (or "500µs"), "1.5s", "250ns", "0.002" (seconds) → seconds.
// Nullopt for anything else, or a value that is not positive.
std::optional<double> parse_duration(std::string_view text);

// A short human form: "850 ns", "12.3 µs", "4.56 ms", "1.23 s" (`digits`
// significant digits; more where two figures must not read as equal).
std::string format_duration_ns(double nanos, int digits = 3);

}  // namespace claimmap::sim
