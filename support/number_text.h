// support/number_text.h — counts written for people: "1,234,567". Shared by
// the storm report, its page, the verdict and the audit page.
#pragma once

#include <cstdint>
#include <string>

namespace claimmap::support {

std::string with_commas(uint64_t n);
// Rounded to a whole number; negative values are written as 0.
std::string with_commas(double value);

}  // namespace claimmap::support
