// The load generator's self-test (`roundtable-loadgen selftest`): its measuring parts
// checked without a network. Returns the process exit status.
#pragma once

namespace loadtest {

int run_selftest();

}  // namespace loadtest
