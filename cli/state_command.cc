// `claimmap state convert IN OUT` and `claimmap state inspect FILE`
// (docs/spec.md §9, §10).
#include <cstdio>
#include <memory>
#include <string>

#include "claimmap/service.h"
#include "cli/command.h"
#include "cli/exit_code.h"

namespace claimmap::cli {

Command add_state_command(CLI::App& app) {
  struct Args {
    std::string in, out, file;
  };
  auto args = std::make_shared<Args>();
  auto* cmd = app.add_subcommand("state", "Convert or inspect a saved state file");
  cmd->require_subcommand(1);
  auto* convert = cmd->add_subcommand("convert", "NDJSON state to binary snapshot or back (OUT's name decides)");
  convert->add_option("IN", args->in, "state file (either form)")->required();
  convert->add_option("OUT", args->out, "written atomically: .ndjson gets NDJSON, any other name the snapshot")->required();
  auto* inspect = cmd->add_subcommand("inspect", "Form, format version, config fingerprint, users, size, checksums");
  inspect->add_option("FILE", args->file, "state file (either form)")->required();
  return {cmd, [args, convert] {
            if (convert->parsed()) {
              uint64_t users = 0;
              if (Status s = convert_state_file(args->in, args->out, &users); !s.ok()) return fail(s);
              std::fprintf(stderr, "%s -> %s: %llu users\n", args->in.c_str(), args->out.c_str(),
                           static_cast<unsigned long long>(users));
              return 0;
            }
            Result<StateFileInfo> info = inspect_state_file(args->file);
            if (!info.ok()) return fail(info.status());
            std::fputs(info.value().to_text().c_str(), stdout);
            return info.value().damage.ok() ? 0 : exit_code_for(info.value().damage);
          }};
}

}  // namespace claimmap::cli
