#include "bbox/session/session.h"

#include "bbox/common/exit_codes.h"
#include "bbox/common/message.h"

namespace bbox::session {

// Placeholder until the workspace engine and the VM are wired together
// (issues 3 and 4): sessions are not available yet, and say so.
Result<int> run_session(const SessionRequest& request) {
  ui::error("sessions are not yet available in this build: cannot run {}",
            ui::quoted(request.agent));
  return exit_code::kNotBuilt;
}

}  // namespace bbox::session
