#include "support/number_text.h"

#include <algorithm>
#include <cmath>

namespace claimmap::support {

std::string with_commas(uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string with_commas(double value) {
  return with_commas(static_cast<uint64_t>(std::llround(std::max(0.0, value))));
}

}  // namespace claimmap::support
