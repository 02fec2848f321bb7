// `claimmap simulate` (docs/spec.md §11): argument parsing and wiring only; the
// simulator (simulator/simulate.h) does the work.
#include <cstdio>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "claimmap/paths.h"
#include "cli/command.h"
#include "cli/exit_code.h"
#include "cli/flag_values.h"
#include "simulator/duration.h"
#include "simulator/report_html.h"
#include "simulator/simulate.h"
#include "support/progress_bar.h"

namespace claimmap::cli {
namespace {

struct SimulateArgs {
  sim::SimulateOptions options;
  std::string profile = "steady";
  std::string p99 = "2ms";  // kDefaultP99Seconds
  std::string providers = "entra,okta,keycloak,saml,auth0";
  std::string write_dataset;
  std::string report_html;
  std::string token_file;
  std::string sign;  // --sign ALG; empty: unsigned
  int64_t now = 0;   // --now; 0: not given
  double min_rate = 0;  // --min-rate, when given
  bool cold_start = false;
  bool no_progress = false;
};

// "entra,okta" → the shapes to include; false on an unknown name.
bool parse_shapes(const std::string& list, std::array<bool, sim::kProviderShapeCount>* shapes) {
  shapes->fill(false);
  std::stringstream in(list);
  std::string name;
  bool any = false;
  while (std::getline(in, name, ',')) {
    bool known = false;
    for (int s = 0; s < sim::kProviderShapeCount; ++s) {
      if (name == sim::provider_shape_name(static_cast<sim::ProviderShape>(s))) (*shapes)[s] = known = true;
    }
    if (!known) return false;
    any = true;
  }
  return any;
}

}  // namespace

Command add_simulate_command(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  sim::SimulateOptions& o = args->options;
  o.generator.users = 200'000;
  o.generator.bad_share = 0.001;
  o.generator.push_share = 0.01;
  o.generator.stale_share = 0.005;
  auto* cmd = app.add_subcommand("simulate", "Generate an organisation and replay a login storm through the engine");
  cmd->add_option("--seed", o.generator.seed, "dataset seed: the same seed gives the same bytes")->capture_default_str();
  cmd->add_option("--users", o.generator.users, "users in the organisation")->check(CLI::Range(1.0, 4e9))->capture_default_str();
  cmd->add_option("--logins", o.events, "events in the storm (logins, and the shares below)")->check(CLI::Range(1.0, 1e12))->capture_default_str();
  cmd->add_option("--mappings", o.generator.mappings, "claim mappings in the config")->check(CLI::Range(5.0, 1e7))->capture_default_str();
  cmd->add_option("--groups-per-token", o.generator.groups_per_token, "mean IdP groups in a token")->check(CLI::Range(1, 200))->capture_default_str();
  cmd->add_option("--group-spread", o.generator.group_spread, "token group counts spread uniformly this share around the mean")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--drift-share", o.generator.drift_share, "share of a user's groups one drift replaces (0: one join, leave or move; 1: a fresh draw)")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--groups-per-value", o.generator.groups_per_value, "config groups each mapped IdP group grants")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--roles-per-group", o.generator.roles_per_group, "mean roles a group grants (0: 1-3)")->check(CLI::Range(0, 64))->capture_default_str();
  cmd->add_option("--threads", o.threads, "replay threads (default: one per CPU)")->check(CLI::Range(1u, 256u));
  cmd->add_option("--churn", o.generator.churn, "share of logins whose IdP groups drifted since the last one")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--bad-share", o.generator.bad_share, "share of bad lines (every docs/spec.md §8 error code)")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--push-share", o.generator.push_share, "share of provisioning pushes")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--stale-share", o.generator.stale_share, "share of stale token replays")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--pattern-share", o.generator.pattern_share, "share of mappings that are prefix, glob or regex mappings (a third each)")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--template-share", o.generator.template_share, "share of the pattern mappings whose group is a template")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--deny-share", o.generator.deny_share, "every provider requires MFA, and this share of logins lack it (denied)")->check(CLI::Range(0.0, 1.0))->capture_default_str();
  cmd->add_option("--providers", args->providers,
                  "provider shapes to include (the saml shape's provider is named \"adfs\", an AD FS IdP: "
                  "reports and datasets say adfs)")
      ->capture_default_str();
  cmd->add_flag("--cold-start", args->cold_start, "no saved state: every user is new at their first login");
  cmd->add_option("--sign", args->sign,
                  "sign the OIDC providers' logins as JWS with keys made from the seed: RS256, PS256, ES256 or EdDSA")
      ->type_name("ALG");
  cmd->add_option("--now", args->now, "the time signed tokens are checked at (default: the storm's last iat)")
      ->type_name("EPOCH_SECONDS")
      ->check(CLI::Range(int64_t{1}, int64_t{UINT32_MAX}));
  cmd->add_option("--rate", o.rate, "open loop at this peak rate (events/s); default: closed loop")->check(CLI::PositiveNumber);
  cmd->add_option("--profile", args->profile, "storm profile of an open-loop run")->check(CLI::IsMember({"steady", "ramp", "spike"}))->capture_default_str();
  cmd->add_option("--time-scale", o.time_scale, "spike without --rate: storm time runs this much faster")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_option("--spike-minutes", o.spike_minutes, "spike without --rate: storm minutes that bring 80% of the logins")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_flag("--find-capacity", o.find_capacity, "search the highest rate whose login p99 stays under --p99");
  CLI::Option* p99_option =
      cmd->add_option("--p99", args->p99,
                      "login p99 target: the run's verdict, and what --find-capacity searches under (2ms, 500us, …)")
          ->capture_default_str();
  CLI::Option* min_rate_option = cmd->add_option("--min-rate", args->min_rate,
                  "rate target of the verdict, events/s: the run's sustained rate, or the capacity found")
      ->type_name("N")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--probe-seconds", o.probe_seconds, "offered duration of each capacity probe")->check(CLI::PositiveNumber)->capture_default_str();
  cmd->add_flag("--json", o.json, "print the report as JSON (for CI)");
  cmd->add_option("--report", args->report_html, "also write the report as a self-contained page (charts) to FILE.html")
      ->type_name("FILE");
  cmd->add_flag("--no-progress", args->no_progress, "no progress bar, even on a terminal");
  cmd->add_option("--write-dataset", args->write_dataset, "write config.json, state.ndjson, events.ndjson to DIR and exit");
  cmd->add_option("--target", o.target,
                  "replay against a running `claimmap serve` at http://HOST:PORT or https://HOST:PORT (serving this seed's "
                  "--write-dataset)");
  cmd->add_option("--target-ca", o.target_ca,
                  "with an https --target: PEM CA certificate(s) to verify the server against (default: the system's)");
  cmd->add_option("--token-file", args->token_file, "with --target: the file whose first line is the bearer token");
  cmd->add_option("--batch", o.batch, "with --target, closed loop: events a request")->check(CLI::Range(1u, 100000u))
      ->capture_default_str();
  return {cmd, [args, p99_option, min_rate_option] {
    sim::SimulateOptions& options = args->options;
    options.profile = *sim::parse_load_profile(args->profile);
    options.generator.initial_state = !args->cold_start;
    if (!parse_shapes(args->providers, &options.generator.shapes)) {
      std::fprintf(stderr, "--providers: a comma-separated list of entra, okta, keycloak, saml, auth0\n");
      return 2;
    }
    if (!args->sign.empty()) {
      const std::optional<sim::SignAlgorithm> alg = sim::sign_algorithm_from_name(args->sign);
      if (!alg) {
        std::fprintf(stderr, "--sign: %s is not one of RS256, PS256, ES256, EdDSA (HMAC and none are never accepted, "
                     "docs/spec.md §15)\n", args->sign.c_str());
        return 2;
      }
      options.generator.sign = *alg;
      bool oidc = false;  // a provider whose logins can be signed
      for (int shape = 0; shape < sim::kProviderShapeCount; ++shape) {
        oidc |= options.generator.shapes[shape] && static_cast<sim::ProviderShape>(shape) != sim::ProviderShape::kSaml;
      }
      if (!oidc) {
        std::fprintf(stderr, "--sign: no provider to sign for (SAML logins stay unsigned): add entra, okta, keycloak "
                     "or auth0 to --providers\n");
        return 2;
      }
    }
    if (args->now > 0) options.now = args->now;
    const auto p99 = sim::parse_duration(args->p99);
    if (!p99) {
      std::fprintf(stderr, "--p99: not a duration: %s (e.g. 2ms, 500us)\n", args->p99.c_str());
      return 2;
    }
    options.p99_target_seconds = *p99;
    options.p99_given = p99_option->count() > 0;
    if (min_rate_option->count() > 0) options.min_rate = args->min_rate;
    options.progress = !args->no_progress && !options.json && support::stderr_is_terminal();
    if (!args->report_html.empty() && !args->write_dataset.empty()) {
      std::fprintf(stderr, "--report: not with --write-dataset, which runs nothing\n");
      return 2;
    }
    if (!options.target.empty()) {
      if (args->token_file.empty()) {
        std::fprintf(stderr, "--target needs --token-file\n");
        return 2;
      }
      Result<std::string> token = read_token_file(args->token_file);
      if (!token.ok()) return fail(token.status());
      options.token = token.value();
    }
    if (!options.target_ca.empty()) {
      if (!options.target.starts_with("https://")) {
        std::fprintf(stderr, "--target-ca needs an https:// --target\n");
        return 2;
      }
      if (Status s = check_input_file(options.target_ca); !s.ok()) return fail(s);
    }
    const bool page_wanted = !args->report_html.empty();
    if (page_wanted) {
      // A path that cannot be written fails now, not after the run.
      if (const Status s = sim::check_report_writable(args->report_html); !s.ok()) {
        std::fprintf(stderr, "--report: %s\n", s.message().c_str());
        return exit_code_for(s);
      }
    }
    std::string output, page;
    sim::SimulationOutcome outcome;
    const Status s = args->write_dataset.empty()
                         ? sim::run_simulation(options, &output, page_wanted ? &page : nullptr, &outcome)
                         : sim::write_dataset(options, args->write_dataset, &output);
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.message().c_str());
      return exit_code_for(s);
    }
    std::fputs(output.c_str(), args->write_dataset.empty() ? stdout : stderr);
    if (page_wanted) {
      if (const Status w = sim::write_report_html(args->report_html, page); !w.ok()) {
        std::fprintf(stderr, "--report: %s\n", w.message().c_str());
        return exit_code_for(w);
      }
    }
    for (const std::string& warning : outcome.warnings) std::fprintf(stderr, "%s\n", warning.c_str());
    // A FAIL is an exit code only for targets the caller set: a CI job that
    // asks for --p99 or --min-rate can stop on it, while a plain run (judged
    // on the stated default) exits 0 as it always has. 3 as in `diff`: the
    // command worked, and what it found fails the check.
    const bool targets_given = options.p99_given || options.min_rate.has_value();
    return args->write_dataset.empty() && targets_given && !outcome.pass ? 3 : 0;
  }};
}

}  // namespace claimmap::cli
