#include "server/scim/scim_list.h"

#include <charconv>
#include <cstdint>

#include "server/scim/scim_filter.h"

namespace claimmap::server::scim {

namespace {

// A decimal integer, sign allowed, surrounding spaces not.
bool parse_integer(const std::string& text, int64_t* out) {
  const char* first = text.data();
  const char* last = text.data() + text.size();
  if (first != last && *first == '+') ++first;
  auto [end, ec] = std::from_chars(first, last, *out);
  return ec == std::errc() && end == last && first != last;
}

// Whether the comma-separated attribute list `list` names `name` (or, for a
// sub-attribute, its parent: "members.value" names "members").
bool list_names(std::string_view list, std::string_view name) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    std::string normal = normalise_attribute(item);
    const size_t dot = normal.find('.');
    if (dot != std::string::npos) normal.resize(dot);
    if (iequals(normal, name)) return true;
  }
  return false;
}

}  // namespace

const std::string* query_parameter(const support::HttpRequest& request, std::string_view name) {
  for (const auto& [key, value] : request.query) {
    if (iequals(key, name)) return &value;
  }
  return nullptr;
}

std::optional<ScimError> read_page(const support::HttpRequest& request, Page* page) {
  *page = Page{};
  if (const std::string* v = query_parameter(request, "startIndex")) {
    int64_t n = 0;
    if (!parse_integer(*v, &n)) return ScimError{400, "invalidValue", "startIndex must be an integer"};
    page->start_index = n < 1 ? 1 : static_cast<size_t>(n);
  }
  if (const std::string* v = query_parameter(request, "count")) {
    int64_t n = 0;
    if (!parse_integer(*v, &n)) return ScimError{400, "invalidValue", "count must be an integer"};
    page->count = n < 0 ? 0 : static_cast<size_t>(n) > kMaxResults ? kMaxResults : static_cast<size_t>(n);
  }
  return std::nullopt;
}

std::pair<size_t, size_t> page_range(const Page& page, size_t total) {
  const size_t first = page.start_index - 1 < total ? page.start_index - 1 : total;
  const size_t last = total - first < page.count ? total : first + page.count;
  return {first, last};
}

bool attribute_wanted(const support::HttpRequest& request, std::string_view name) {
  if (const std::string* excluded = query_parameter(request, "excludedAttributes")) {
    if (list_names(*excluded, name)) return false;
  }
  if (const std::string* wanted = query_parameter(request, "attributes")) {
    return list_names(*wanted, name);
  }
  return true;
}

OrderedJson list_response(OrderedJson resources, size_t total, size_t start_index) {
  const size_t items = resources.size();
  return {{"schemas", {kListResponseSchema}},
          {"totalResults", total},
          {"startIndex", start_index},
          {"itemsPerPage", items},
          {"Resources", std::move(resources)}};
}

}  // namespace claimmap::server::scim
