// SCIM 2.0 under /scim/v2 (docs/spec.md §13): being written.
#include "server/server_app.h"

namespace claimmap::server {

HttpResponse handle_scim(RouteContext&, const HttpRequest&, std::string_view) {
  return json_error(501, "not_implemented", "SCIM is not built yet");
}

}  // namespace claimmap::server
