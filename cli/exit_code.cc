#include "cli/exit_code.h"

namespace claimmap::cli {

int exit_code_for(const Status& s) {
  switch (s.code()) {
    case ErrorCode::kOk: return 0;
    case ErrorCode::kIoError: return 1;
    case ErrorCode::kInternal: return 1;  // a bug of ours, not the user's input
    default: return 2;
  }
}

}  // namespace claimmap::cli
