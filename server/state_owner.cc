#include "server/state_owner.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "claimmap/service.h"

namespace claimmap::server {

namespace {

constexpr const char* kTag = "claimmap-serve-state 1";

// The same rule as the engine's saving (docs/spec.md §9.4): the name decides.
bool ndjson_name(const std::string& path) { return path.ends_with(".ndjson"); }

struct FileStamp {
  long long size = 0;
  long long mtime_ns = 0;
};

bool stamp_of(const std::string& path, FileStamp* out) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  out->size = static_cast<long long>(st.st_size);
  out->mtime_ns = static_cast<long long>(st.st_mtim.tv_sec) * 1000000000LL + st.st_mtim.tv_nsec;
  return true;
}

std::string stamp_line(const FileStamp& s) {
  return std::string(kTag) + " size=" + std::to_string(s.size) + " mtime_ns=" + std::to_string(s.mtime_ns);
}

Status refused(const std::string& state_path, const std::string& why) {
  return Status(ErrorCode::kInvalidArgument,
                "--state " + state_path + " " + why +
                    "; the server rewrites --state at every stop. Serve a copy (cp " + state_path +
                    " ...), or pass --overwrite-state to let the server rewrite this file");
}

}  // namespace

std::string state_owner_path(const std::string& state_path) { return state_path + ".owner"; }

Status check_state_ownership(const std::string& state_path, bool overwrite) {
  if (overwrite || !ndjson_name(state_path)) return Status();
  FileStamp now;
  if (!stamp_of(state_path, &now)) return Status();  // nothing there yet: the server's own from its first save
  std::ifstream in(state_owner_path(state_path));
  std::string line;
  if (!in || !std::getline(in, line)) {
    return refused(state_path, "is an NDJSON state this server did not write (no " + state_owner_path(state_path) + ")");
  }
  if (line != stamp_line(now)) {
    return refused(state_path, "has changed since this server last wrote it (" + state_owner_path(state_path) +
                                   " records another size or time)");
  }
  return Status();
}

Status record_state_ownership(const std::string& state_path) {
  if (!ndjson_name(state_path)) return Status();
  FileStamp now;
  if (!stamp_of(state_path, &now)) {
    return Status(ErrorCode::kIoError, "cannot stat " + state_path + ": " + std::strerror(errno));
  }
  // Atomic: a crash leaves the old sidecar or the new one.
  return write_text_file_atomically(state_owner_path(state_path), stamp_line(now) + "\n");
}

}  // namespace claimmap::server
