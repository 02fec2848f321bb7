// support/prometheus_text.h — the Prometheus text exposition format (0.0.4),
// a line at a time: a family's "# HELP" and "# TYPE" lines, then its
// samples. The server's GET /metrics and the worker's metrics (file and
// --metrics-listen) are written with these, so that both speak the format
// the same way.
//
// Free functions that append to a caller's string: call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace claimmap::support {

// "# HELP name help" and "# TYPE name type" (type: "counter", "gauge",
// "histogram").
void append_family(std::string_view name, std::string_view help, std::string_view type, std::string* out);

// "name{labels} value" ("name value" without labels). `labels` is the text
// between the braces, already escaped (escape_label_value). An integer is
// written exactly, however large.
void append_sample(std::string_view name, std::string_view labels, uint64_t value, std::string* out);

// The same for a value that may be fractional or negative (seconds, -1 for
// "not yet"), with every significant digit (%.17g).
void append_real_sample(std::string_view name, std::string_view labels, double value, std::string* out);

// A bucket bound or a sum of seconds as a histogram writes it (%.9g: 0.00025,
// not 0.00025000000000000001).
void append_number(double value, std::string* out);

// `value` made safe between a label's double quotes: backslash, double quote
// and newline escaped as the format asks.
std::string escape_label_value(std::string_view value);

}  // namespace claimmap::support
