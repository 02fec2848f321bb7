// cli/flag_values.h — what a flag's argument stands for when it is more than
// a string: the bearer token a --token-file holds (`serve`, `simulate`) and
// the reload point a --reload-at names (`eval`). The server, the simulator
// and the library take the values themselves; reading them from the files
// named on the command line is the CLI's job.
//
// Free functions with no state: call them from any thread. Nothing here
// throws.
#pragma once

#include <string>
#include <string_view>

#include "claimmap/config.h"
#include "claimmap/status.h"
#include "claimmap/stream.h"

namespace claimmap::cli {

// A bearer token file (`serve --token-file`, `simulate --token-file`): its
// first line without line ending or trailing blanks. kInvalidArgument when
// that line is empty, kIoError when the file cannot be read (missing, not a
// regular file: see read_text_file, claimmap/service.h).
[[nodiscard]] Result<std::string> read_token_file(const std::string& path);

// "N=FILE" (`eval --reload-at`): FILE loaded and compiled. kInvalidArgument
// for a malformed spec or N < 1; the config's failure otherwise, its errors
// in `report`.
[[nodiscard]] Result<ReloadPoint> parse_reload_point(std::string_view spec, ConfigReport* report);

}  // namespace claimmap::cli
