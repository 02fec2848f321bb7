// server/scim/scim_list.h — the query parameters of a SCIM read (RFC 7644
// §3.4.2: startIndex, count, attributes, excludedAttributes) and the
// ListResponse that answers a query (§3.4.2, "totalResults", "startIndex",
// "itemsPerPage", "Resources").
//
// Pure functions of the request; no state.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <string_view>

#include "server/scim/scim_json.h"
#include "support/http_types.h"

namespace claimmap::server::scim {

// The most resources one ListResponse holds (ServiceProviderConfig
// filter.maxResults): a larger `count` is cut to it, and a client pages on
// with startIndex.
inline constexpr size_t kMaxResults = 200;

// The first value of query parameter `name`, its name compared ignoring ASCII
// case (IAM tools spell "excludedattributes" and "startindex" both ways).
const std::string* query_parameter(const support::HttpRequest& request, std::string_view name);

// startIndex (1-based; RFC 7644 §3.4.2.4: a value below 1 means 1) and count
// (a negative value means 0; absent or above kMaxResults means kMaxResults).
struct Page {
  size_t start_index = 1;
  size_t count = kMaxResults;
};
// The page the request asks for; a ScimError (400 invalidValue) when
// startIndex or count is not an integer.
std::optional<ScimError> read_page(const support::HttpRequest& request, Page* page);

// The indexes [first, last) of the results `page` selects out of `total`
// (empty when startIndex is past the end or count is 0).
std::pair<size_t, size_t> page_range(const Page& page, size_t total);

// Whether the response should carry attribute `name` (a multi-valued one such
// as "members" or "groups" that a client may leave out for size): not when
// excludedAttributes lists it, nor when `attributes` is given without it
// (RFC 7644 §3.4.2.5; "id", "schemas" and "meta" are always returned).
bool attribute_wanted(const support::HttpRequest& request, std::string_view name);

// {"schemas": [ListResponse], "totalResults": total, "startIndex": start,
// "itemsPerPage": resources.size(), "Resources": resources}.
OrderedJson list_response(OrderedJson resources, size_t total, size_t start_index);

}  // namespace claimmap::server::scim
