// Child process plumbing for tests: spawn, read output, wait for a line, stop.
#include "tests/support/process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace roundtable::test {

struct child_process::state {
  mutable std::mutex mutex;
  std::condition_variable changed;
  std::string output;
  bool eof = false;
  std::thread reader;
};

child_process::child_process(std::vector<std::string> argv) : state_(std::make_shared<state>()) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  int const rc = ::posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("cannot start " + argv[0]);
  }
  state_->reader = std::thread([s = state_, fd = fds[0]] {
    char buf[4096];
    for (;;) {
      auto const n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      std::lock_guard lock(s->mutex);
      s->output.append(buf, static_cast<std::size_t>(n));
      s->changed.notify_all();
    }
    ::close(fd);
    std::lock_guard lock(s->mutex);
    s->eof = true;
    s->changed.notify_all();
  });
}

child_process::~child_process() {
  if (running()) {
    signal(SIGTERM);
    if (wait(std::chrono::seconds(5)) == -1) {
      signal(SIGKILL);
      wait(std::chrono::seconds(5));
    }
  }
  if (!reaped_) wait(std::chrono::seconds(5));
  if (state_->reader.joinable()) state_->reader.join();
}

std::string child_process::wait_for_line(std::string_view needle,
                                         std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  std::size_t pos = std::string::npos;
  bool const found = state_->changed.wait_for(lock, timeout, [&] {
    pos = state_->output.find(needle);
    return pos != std::string::npos || state_->eof;
  });
  if (!found || pos == std::string::npos) {
    throw std::runtime_error("no line with '" + std::string(needle) + "'; output:\n" +
                             state_->output);
  }
  auto const begin = state_->output.rfind('\n', pos);
  auto const end = state_->output.find('\n', pos);
  auto const first = begin == std::string::npos ? 0 : begin + 1;
  return state_->output.substr(first, end == std::string::npos ? std::string::npos : end - first);
}

std::string child_process::wait_output(std::chrono::milliseconds timeout) {
  std::unique_lock lock(state_->mutex);
  state_->changed.wait_for(lock, timeout, [&] { return state_->eof; });
  return state_->output;
}

std::string child_process::output() const {
  std::lock_guard lock(state_->mutex);
  return state_->output;
}

void child_process::signal(int sig) {
  if (!reaped_) ::kill(pid_, sig);
}

int child_process::wait(std::chrono::milliseconds timeout) {
  if (reaped_) return status_;
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    pid_t const r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = status;
      return status;
    }
    if (std::chrono::steady_clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool child_process::running() const {
  if (reaped_) return false;
  return ::kill(pid_, 0) == 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0;
}

int free_port() {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

temp_dir::temp_dir() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "roundtable-test-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

// True when GET /readyz answers 200 (plain sockets: this file has no Beast).
bool ready(int port) {
  int const fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<unsigned short>(port));
  bool ok = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    std::string const req = "GET /readyz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::write(fd, req.data(), req.size()) == static_cast<ssize_t>(req.size())) {
      char buf[64] = {};
      auto const n = ::read(fd, buf, sizeof buf - 1);
      ok = n > 12 && std::string_view(buf, static_cast<std::size_t>(n)).substr(9, 3) == "200";
    }
  }
  ::close(fd);
  return ok;
}

}  // namespace

std::string server_path() {
  return ROUNDTABLE_SERVER_PATH;
}

std::optional<std::string> event_refused(temp_dir const& dir, std::string const& json) {
  auto const path = dir.path() + "/refused-event.json";
  std::ofstream(path) << json;
  child_process p({server_path(), "--ephemeral", "--port", "0", "--event", path});
  auto const status = p.wait(std::chrono::seconds(10));
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 2) return std::nullopt;
  return p.wait_output();
}

server_process::server_process(std::vector<std::string> args, std::vector<std::string> launcher) {
  std::vector<std::string> argv = std::move(launcher);
  argv.push_back(server_path());
  for (auto const* a : {"--port", "0", "--bind", "127.0.0.1"}) argv.emplace_back(a);
  argv.insert(argv.end(), args.begin(), args.end());
  proc = std::make_unique<child_process>(argv);
  auto const line = proc->wait_for_line("listening on ");
  auto const colon = line.rfind(':');
  port = std::stoi(line.substr(colon + 1));
  // With the Redis engine the node serves once it has loaded every room.
  auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!ready(port)) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("server never became ready");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

redis_process::redis_process(std::vector<std::string> args, int wanted_port,
                             std::chrono::seconds ready_within) {
  // A port can be taken between free_port() and the bind: try a few.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port = wanted_port ? wanted_port : free_port();
    std::vector<std::string> argv{
        "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--dir", dir.path(),
        "--save",       "",       "--appendonly",       "no"};
    argv.insert(argv.end(), args.begin(), args.end());
    proc = std::make_unique<child_process>(argv);
    try {
      proc->wait_for_line("Ready to accept connections", ready_within);
      return;
    } catch (std::exception const&) {
      if (wanted_port) throw;
      proc.reset();
    }
  }
  throw std::runtime_error("redis-server did not start");
}

sentinel_process::sentinel_process(std::string const& name, int master_port) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    port = free_port();
    // Sentinel rewrites its config file, so each gets its own in its own dir.
    auto const conf = dir.path() + "/sentinel.conf";
    std::ofstream(conf) << "port " << port << "\nbind 127.0.0.1\ndir " << dir.path()
                        << "\nsentinel monitor " << name << " 127.0.0.1 " << master_port
                        << " 2\nsentinel down-after-milliseconds " << name
                        << " 1000\nsentinel failover-timeout " << name
                        << " 3000\nsentinel parallel-syncs " << name << " 1\n";
    proc = std::make_unique<child_process>(
        std::vector<std::string>{"redis-server", conf, "--sentinel"});
    try {
      proc->wait_for_line("+monitor master " + name, std::chrono::seconds(10));
      return;
    } catch (std::exception const&) {
      proc.reset();
    }
  }
  throw std::runtime_error("redis-sentinel did not start");
}

std::string slurp_dir(std::string const& dir) {
  std::string all;
  for (auto const& f : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(f.path(), std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    all += s.str();
  }
  return all;
}

}  // namespace roundtable::test
