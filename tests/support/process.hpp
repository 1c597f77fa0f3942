// Child processes for tests that need real servers: roundtable-server and
// redis-server, each started on its own free port and stopped by the test.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <sys/types.h>

namespace roundtable::test {

// A child whose stdout and stderr are read line by line on a background thread
// (so the child never blocks on a full pipe). The destructor sends SIGTERM and
// then SIGKILL if it has not exited within five seconds.
class child_process {
 public:
  explicit child_process(std::vector<std::string> argv);
  ~child_process();
  child_process(child_process const&) = delete;
  child_process& operator=(child_process const&) = delete;

  // Waits for an output line containing `needle` (seen since start) and returns
  // it. Throws std::runtime_error with the output so far on timeout or exit.
  std::string wait_for_line(std::string_view needle,
                            std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Everything the child printed, once it closed its output (or the timeout).
  std::string wait_output(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Everything the child printed so far.
  std::string output() const;
  void signal(int sig);
  // Waits for the exit and returns the raw wait status, or -1 on timeout.
  int wait(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  bool running() const;
  pid_t pid() const noexcept { return pid_; }

 private:
  struct state;
  std::shared_ptr<state> state_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();

// A fresh empty directory under the system temp dir, removed by the destructor.
class temp_dir {
 public:
  temp_dir();
  ~temp_dir();
  std::string const& path() const noexcept { return path_; }

 private:
  std::string path_;
};

// The roundtable-server binary under test.
std::string server_path();
// Every byte of every file directly in `dir`, concatenated: to check that a
// text appears nowhere on disk (erasure).
std::string slurp_dir(std::string const& dir);

// roundtable-server started with `--event` naming a file that holds `json`
// (written in `dir`), given at most 10 s to exit: what it printed when it
// refused to start (exit status 2), else nullopt (it served, crashed, or
// exited otherwise). The start checks of the event file all take this path.
std::optional<std::string> event_refused(temp_dir const& dir, std::string const& json);

// roundtable-server started with `args` plus `--port 0`; `port` is parsed from
// its `listening on HOST:PORT` line. A `launcher` runs it, e.g.
// {"prlimit", "--nofile=64", "--"} for a server with few file descriptors.
struct server_process {
  explicit server_process(std::vector<std::string> args = {},
                          std::vector<std::string> launcher = {});
  std::unique_ptr<child_process> proc;
  int port = 0;
};

// redis-server on a free port, no persistence unless `args` says otherwise,
// ready (answers PING) when the constructor returns.
struct redis_process {
  // Returns once Redis accepts connections, which takes up to `ready_within`
  // when it reads a big data set back.
  explicit redis_process(std::vector<std::string> args = {}, int port = 0,
                         std::chrono::seconds ready_within = std::chrono::seconds(10));
  std::unique_ptr<child_process> proc;
  int port = 0;
  temp_dir dir;
};

// A Redis Sentinel on a free port monitoring the master at `master_port`
// under `name` (quorum 2, down after 1 s, failover timeout 3 s: a failover
// completes within a few seconds), started once it announces the monitor.
struct sentinel_process {
  sentinel_process(std::string const& name, int master_port);
  std::unique_ptr<child_process> proc;
  int port = 0;
  temp_dir dir;
};

}  // namespace roundtable::test
