// The read-everything ceiling of the "fast at every size" issue: what it
// costs one core to load an events file and visit *every* member of every
// line with simdjson On-Demand — every key unescaped, every string
// unescaped, every number parsed, nested objects and arrays walked — and
// nothing else. `claimmap eval --threads 1` does that work and more (it
// also matches, updates state and writes a line per event), so its events/s
// over this tool's, on the same file, is how close the engine comes to
// reading its input. benchmarks/README.md ("Fast at every size") gives the
// command and the figures.
//
//   claimmap_read_ceiling EVENTS.ndjson [ROUNDS]
//
// Prints each round's seconds (file read included) and the median's lines/s.
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "claimmap/status.h"
#include "engine/common/file_io.h"

namespace {

uint64_t visit(simdjson::ondemand::value value);

uint64_t visit_object(simdjson::ondemand::object object) {
  uint64_t touched = 0;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return touched;
    touched += key.size();
    simdjson::ondemand::value v;
    if (field.value().get(v)) return touched;
    touched += visit(v);
  }
  return touched;
}

uint64_t visit(simdjson::ondemand::value value) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type)) return 0;
  switch (type) {
    case simdjson::ondemand::json_type::object: {
      simdjson::ondemand::object o;
      return value.get_object().get(o) ? 0 : visit_object(o);
    }
    case simdjson::ondemand::json_type::array: {
      simdjson::ondemand::array a;
      if (value.get_array().get(a)) return 0;
      uint64_t touched = 0;
      for (auto item : a) {
        simdjson::ondemand::value v;
        if (item.get(v)) break;
        touched += visit(v);
      }
      return touched;
    }
    case simdjson::ondemand::json_type::string: {
      std::string_view s;
      return value.get_string().get(s) ? 0 : s.size();
    }
    case simdjson::ondemand::json_type::number: {
      double d;
      return value.get_double().get(d) ? 0 : 1;
    }
    case simdjson::ondemand::json_type::boolean: {
      bool b;
      return value.get_bool().get(b) ? 0 : 1;
    }
    default: return 1;  // null
  }
}

// Reads the file and visits every line; returns the lines that parsed.
uint64_t read_everything(const char* path, uint64_t* touched) {
  claimmap::Result<std::string> text = claimmap::read_file(path);  // leaves simdjson's padding readable
  if (!text.ok()) {
    std::fprintf(stderr, "%s\n", text.status().message().c_str());
    std::exit(1);
  }
  const std::string& bytes = text.value();
  simdjson::ondemand::parser parser;
  uint64_t lines = 0;
  for (size_t at = 0; at < bytes.size();) {
    size_t end = bytes.find('\n', at);
    if (end == std::string::npos) end = bytes.size();
    if (end > at) {
      simdjson::padded_string_view view(bytes.data() + at, end - at, bytes.capacity() - at);
      simdjson::ondemand::document doc;
      simdjson::ondemand::object object;
      if (!parser.iterate(view).get(doc) && !doc.get_object().get(object)) {
        *touched += visit_object(object);
        ++lines;
      }
    }
    at = end + 1;
  }
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s EVENTS.ndjson [ROUNDS]\n", argv[0]);
    return 2;
  }
  const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
  std::vector<double> seconds;
  uint64_t lines = 0, touched = 0;
  for (int r = 0; r < rounds; ++r) {
    const auto start = std::chrono::steady_clock::now();
    lines = read_everything(argv[1], &touched);
    seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    std::printf("round %d: %.3f s\n", r + 1, seconds.back());
  }
  std::sort(seconds.begin(), seconds.end());
  const double median = seconds[seconds.size() / 2];
  std::printf("read-everything ceiling: %llu lines, median %.3f s, %.0f lines/s (touched %llu)\n",
              static_cast<unsigned long long>(lines), median, static_cast<double>(lines) / median,
              static_cast<unsigned long long>(touched));
  return 0;
}
