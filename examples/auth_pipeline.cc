// An auth pipeline embedding ClaimMap: after the IdP's token has been
// verified and decoded (signature, expiry and audience are the pipeline's
// job), the pipeline asks the engine which app roles to put in the session.
//
//   auth_pipeline CONFIG < tokens.ndjson
//
// prints, per token, the subject's roles or the reason it was refused. The
// engine is shared by every request thread; here four threads serve the
// tokens, each user's logins staying on one thread so they apply in order.
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "claimmap/config.h"
#include "claimmap/engine.h"

namespace {

struct SessionRoles {
  bool ok = false;
  std::string subject;
  std::vector<std::string> roles;  // what goes into the session
  std::string error;               // why the login was refused
};

// The one function a pipeline needs: a decoded token in, the session's roles out.
SessionRoles session_roles(claimmap::Engine& engine, const std::string& decoded_token) {
  SessionRoles result;
  claimmap::Delta delta = engine.process(decoded_token);
  result.subject = delta.subject;
  if (!delta.ok()) {
    result.error = std::string(claimmap::error_code_name(delta.error.code())) + ": " + delta.error.message();
    return result;
  }
  if (delta.status != claimmap::DeltaStatus::kOk) {  // stale or suspended: no session
    result.error = std::string(claimmap::delta_status_name(delta.status));
    return result;
  }
  result.ok = true;
  result.roles = engine.effective_roles(delta.provider, delta.subject);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: auth_pipeline CONFIG < tokens.ndjson\n";
    return 2;
  }
  claimmap::ConfigReport report;
  claimmap::Result<claimmap::Config> config = claimmap::load_config_file(argv[1], &report);
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    for (const auto& e : report.errors) std::cerr << "  " << e.to_string() << "\n";
    return 2;
  }
  claimmap::Engine engine(config.value());

  std::vector<std::string> tokens;
  for (std::string line; std::getline(std::cin, line);) {
    if (!line.empty()) tokens.push_back(line);
  }
  // Four request threads; token i goes to thread (i % 4) only after the
  // earlier tokens of that thread, and the sample input keeps each user on
  // one thread, so answers do not depend on scheduling.
  std::vector<SessionRoles> answers(tokens.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < tokens.size(); i += 4) answers[i] = session_roles(engine, tokens[i]);
    });
  }
  for (auto& thread : threads) thread.join();

  for (const SessionRoles& a : answers) {
    if (!a.ok) {
      std::cout << (a.subject.empty() ? "?" : a.subject) << ": refused (" << a.error << ")\n";
      continue;
    }
    std::cout << a.subject << ":";
    for (const auto& role : a.roles) std::cout << " " << role;
    std::cout << "\n";
  }
  return 0;
}
